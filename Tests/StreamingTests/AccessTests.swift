import HTTP
import Testing
@testable import Streaming

@Suite struct AccessTests {
    let token = Array("s3cret-token-0123456789".utf8)
    var guarded: RouteContext {
        var c = context
        c.access = AccessPolicy(token: token, allowedOrigins: ["https://ops.example"])
        return c
    }

    func status(_ r: Reply) -> Int {
        guard case .respond(let bytes, _) = r else { return 0 }
        return Int(text(bytes).split(separator: " ")[1])!
    }

    @Test func constantTimeMatch() {
        #expect(AccessPolicy.matches("s3cret-token-0123456789", token))
        #expect(!AccessPolicy.matches("s3cret-token-012345678", token))     // prefix
        #expect(!AccessPolicy.matches("s3cret-token-01234567890", token))   // longer
        #expect(!AccessPolicy.matches("", token))
        #expect(!AccessPolicy.matches("S3cret-token-0123456789", token))
    }

    /// The token followed by a multiple of 256 extra characters once passed: the length
    /// difference was folded into 8 bits.
    @Test(arguments: [256, 512, 768, 65536, 1, 255, 257])
    func lengthsThatDifferByAnyAmountAreRefused(extra: Int) {
        let longer = "s3cret-token-0123456789" + String(repeating: "x", count: extra)
        #expect(!AccessPolicy.matches(Substring(longer), token))
        let header = request("GET", "/snapshot", headers: [("Authorization", "Bearer " + longer)])
        #expect(status(Router.route(header, guarded)) == 401)
        let cookie = request("GET", "/snapshot", headers: [("Cookie", "procstream_token=" + longer)])
        #expect(status(Router.route(cookie, guarded)) == 401)
    }

    @Test func tokenRequiredEverywhereButHealthz() {
        for path in ["/", "/events", "/snapshot", "/app.js", "/model.js", "/units.js", "/cards.js", "/draw.js", "/services.js", "/app.css"] {
            let r = Router.route(request("GET", path), guarded)
            #expect(status(r) == 401, "\(path)")
            guard case .respond(let bytes, _) = r else { continue }
            #expect(text(bytes).contains("WWW-Authenticate: Bearer"))
            #expect(!text(bytes).contains("s3cret"))
        }
        #expect(status(Router.route(request("GET", "/healthz"), guarded)) == 200)
    }

    @Test func bearerAndCookieAreAccepted() {
        let bearer = request("GET", "/snapshot", headers: [("Authorization", "Bearer s3cret-token-0123456789")])
        #expect(status(Router.route(bearer, guarded)) == 200)
        let wrong = request("GET", "/snapshot", headers: [("Authorization", "Bearer nope")])
        #expect(status(Router.route(wrong, guarded)) == 401)
        let cookie = request("GET", "/events", headers: [("Cookie", "a=b; procstream_token=s3cret-token-0123456789")])
        if case .subscribe = Router.route(cookie, guarded) {} else { Issue.record("cookie not accepted") }
    }

    /// The page's scripts and style load with the cookie the page itself got, like the page.
    @Test func pageFilesNeedTheTokenToo() {
        for path in ["/", "/app.js", "/model.js", "/units.js", "/cards.js", "/draw.js", "/services.js", "/app.css"] {
            let cookie = request("GET", path, headers: [("Cookie", "procstream_token=s3cret-token-0123456789")])
            #expect(status(Router.route(cookie, guarded)) == 200, "\(path)")
            let bearer = request("HEAD", path, headers: [("Authorization", "Bearer s3cret-token-0123456789")])
            #expect(status(Router.route(bearer, guarded)) == 200, "\(path)")
            #expect(status(Router.route(request("HEAD", path), guarded)) == 401, "\(path)")
        }
    }

    @Test func pageExchangesQueryTokenForHttpOnlyCookie() {
        let r = Router.route(request("GET", "/?token=s3cret-token-0123456789"), guarded)
        #expect(status(r) == 303)
        guard case .respond(let bytes, _) = r else { return }
        #expect(text(bytes).contains("Location: /\r\n"))
        #expect(text(bytes).contains("Set-Cookie: procstream_token=s3cret-token-0123456789; Path=/; HttpOnly; SameSite=Strict"))
        #expect(status(Router.route(request("GET", "/?token=bad"), guarded)) == 401)
    }

    @Test func corsOnlyForListedOrigins() {
        let allowed = request("GET", "/events", headers: [("Origin", "https://ops.example"), ("Authorization", "Bearer s3cret-token-0123456789")])
        guard case .subscribe(let s) = Router.route(allowed, guarded) else { Issue.record(); return }
        let headers = s.headers
        #expect(headers.contains(.init("Access-Control-Allow-Origin", "https://ops.example")))
        #expect(headers.contains(.init("Vary", "Origin")))
        let other = request("GET", "/events", headers: [("Origin", "https://evil.example"), ("Authorization", "Bearer s3cret-token-0123456789")])
        guard case .subscribe(let t) = Router.route(other, guarded) else { Issue.record(); return }
        let none = t.headers
        #expect(none.isEmpty)
        // No origins configured: no CORS headers at all, never '*'.
        let open = Router.route(request("GET", "/snapshot", headers: [("Origin", "https://ops.example")]), context)
        guard case .respond(let bytes, _) = open else { Issue.record(); return }
        #expect(!text(bytes).contains("Access-Control"))
    }

    @Test func preflightFromAllowedOrigin() {
        let r = Router.route(request("OPTIONS", "/events", headers: [("Origin", "https://ops.example")]), guarded)
        #expect(status(r) == 204)
        guard case .respond(let bytes, _) = r else { return }
        #expect(text(bytes).contains("Access-Control-Allow-Headers: Authorization, Last-Event-ID"))
        #expect(status(Router.route(request("OPTIONS", "/events", headers: [("Origin", "https://evil.example")]), guarded)) == 405)
    }
}
