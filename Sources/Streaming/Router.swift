import HTTP
import LivePage

/// What the server knows when a request arrives; routing is a pure function of this and the
/// request head.
public struct RouteContext: Sendable {
    var snapshotJSON: [UInt8]
    var healthy: Bool
    var healthJSON: [UInt8]
    var subscribers: Int
    var maxClients: Int
    var access = AccessPolicy()
    /// The latest `units` payload, for `/units` (filled only for that path); nil with the reason
    /// in `unitsUnavailable` when there is none.
    public var unitsJSON: [UInt8]?
    public var unitsUnavailable: String?
    /// The latest tick in the Prometheus text format, for `/metrics` (filled only for that
    /// path, and only for an authorized request).
    public var metricsBody: [UInt8]?

    public init(snapshotJSON: [UInt8], healthy: Bool, healthJSON: [UInt8], subscribers: Int, maxClients: Int, access: AccessPolicy = AccessPolicy()) {
        self.snapshotJSON = snapshotJSON
        self.healthy = healthy
        self.healthJSON = healthJSON
        self.subscribers = subscribers
        self.maxClients = maxClients
        self.access = access
    }
}

public enum Reply: Equatable {
    /// A whole response; the connection stays open afterwards only if `keepAlive`.
    case respond([UInt8], keepAlive: Bool)
    /// Start an event stream for this connection (see `Subscription`).
    case subscribe(Subscription)
}

public enum Router {
    public static let retryAfterSeconds = 5
    public static let metricsContentType = "text/plain; version=0.0.4; charset=utf-8"
    /// "/app.css, /app.js, …": the page's files besides `/`, for the 404 text.
    static let pageFiles = LivePage.assets.map(\.path).filter { $0 != "/" }.joined(separator: ", ")
    /// The page's files: script, style and data only from the daemon itself, nothing inline.
    static let pageHeaders = [
        ("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
    ]

    /// How many past events a new subscriber gets before live ones: `?history=N` if given;
    /// otherwise the whole ring for EventSource-style clients (they send `Accept:
    /// text/event-stream`) and just the latest snapshot for the rest (`curl -N` stays
    /// readable).
    static func replayCount(_ request: RequestHead) -> Int {
        if let n = request.queryParameter("history").flatMap({ Int($0) }), n >= 0 { return n }
        if let accept = request.header("Accept"), accept.lowercasedASCIIContains("text/event-stream") { return Int.max }
        return 1
    }

    public static func route(_ request: RequestHead, _ context: RouteContext) -> Reply {
        let keepAlive = request.keepAlive
        let isHead = request.method == "HEAD"
        let cors = context.access.corsHeaders(request)
        func respond(_ bytes: [UInt8]) -> Reply { .respond(bytes, keepAlive: keepAlive) }
        func only(_ methods: String, _ body: () -> Reply) -> Reply {
            let allowed = methods.split(separator: ",").map { $0.trimmingCharacters() }
            if allowed.contains(request.method) { return body() }
            if request.method == "OPTIONS" && !cors.isEmpty {
                // CORS preflight from an allowed origin.
                return respond(Response.full(.noContent, body: [], keepAlive: keepAlive, headers: cors + [
                    ("Access-Control-Allow-Methods", methods),
                    ("Access-Control-Allow-Headers", "Authorization, Last-Event-ID"),
                    ("Access-Control-Max-Age", "600"),
                ]))
            }
            return respond(Response.error(.methodNotAllowed, "\(request.method) is not allowed here",
                                          headers: [("Allow", methods)], keepAlive: keepAlive))
        }
        func pageFile(_ asset: LivePage.Asset) -> Reply {
            respond(Response.full(.ok, contentType: asset.contentType, body: asset.bytes,
                                  keepAlive: keepAlive, headOnly: isHead, headers: pageHeaders))
        }
        func authorized(_ body: () -> Reply) -> Reply {
            if context.access.authorizes(request) { return body() }
            return respond(Response.full(.unauthorized, body: Array("401 Unauthorized\n".utf8), keepAlive: keepAlive,
                                         headers: cors + [("WWW-Authenticate", "Bearer")]))
        }

        switch request.path {
        case "/events":
            return only("GET") {
                authorized {
                    if context.subscribers >= context.maxClients {
                        return .respond(Response.error(.serviceUnavailable, "subscriber limit (\(context.maxClients)) reached",
                                                       headers: [("Retry-After", String(retryAfterSeconds))]), keepAlive: false)
                    }
                    let fromHeader = request.header("Last-Event-ID").flatMap { UInt64($0) }
                    let fromQuery = request.queryParameter("last_event_id").flatMap { UInt64($0) }
                    let units: UnitSelection?
                    do throws(UnitSelection.ParseError) { units = try UnitSelection.parse(request.queryParameter("units")) } catch {
                        return respond(Response.error(.badRequest, "units= takes 1, or up to \(UnitSelection.maxNames) comma-separated unit names",
                                                      keepAlive: keepAlive))
                    }
                    return .subscribe(Subscription(lastEventID: fromHeader ?? fromQuery, replay: replayCount(request),
                                                   chunked: request.minorVersion >= 1, headers: cors.map { RequestHead.Header($0.0, $0.1) },
                                                   units: units))
                }
            }
        case "/":
            return only("GET, HEAD") {
                // Visiting /?token=T once exchanges the token for an HttpOnly cookie, which the
                // page's EventSource (that cannot set headers) then presents.
                if let token = context.access.token, let presented = request.queryParameter("token") {
                    guard AccessPolicy.matches(presented, token) else {
                        return respond(Response.full(.unauthorized, body: Array("401 Unauthorized\n".utf8), keepAlive: keepAlive,
                                                     headers: [("WWW-Authenticate", "Bearer")]))
                    }
                    let cookie = "\(AccessPolicy.cookieName)=\(String(decoding: token, as: UTF8.self)); Path=/; HttpOnly; SameSite=Strict"
                    return respond(Response.full(.seeOther, body: [], keepAlive: keepAlive,
                                                 headers: [("Location", "/"), ("Set-Cookie", cookie)]))
                }
                return authorized { pageFile(LivePage.index) }
            }
        case "/snapshot":
            return only("GET, HEAD") {
                authorized {
                    respond(Response.full(.ok, contentType: "application/json", body: context.snapshotJSON + [0x0a],
                                          keepAlive: keepAlive, headOnly: isHead, headers: cors))
                }
            }
        case "/units":
            return only("GET, HEAD") {
                authorized {
                    guard let units = context.unitsJSON else {
                        return respond(Response.error(.serviceUnavailable, "no per-unit view: \(context.unitsUnavailable ?? "not collected yet")",
                                                      headers: [("Retry-After", "1")], keepAlive: keepAlive))
                    }
                    return respond(Response.full(.ok, contentType: "application/json", body: units + [0x0a],
                                                 keepAlive: keepAlive, headOnly: isHead, headers: cors))
                }
            }
        case "/metrics":
            // Prometheus text format 0.0.4, whatever the Accept (Prometheus 2.x asks for
            // OpenMetrics first and takes this as its fallback). The token applies: Prometheus's
            // `authorization: {credentials_file: …}` sends it as Bearer.
            return only("GET, HEAD") {
                authorized {
                    guard let body = context.metricsBody else {
                        return respond(Response.error(.serviceUnavailable, "no metrics yet", headers: [("Retry-After", "1")], keepAlive: keepAlive))
                    }
                    return respond(Response.full(.ok, contentType: metricsContentType, body: body,
                                                 keepAlive: keepAlive, headOnly: isHead, headers: cors))
                }
            }
        case "/healthz":
            // Open even with a token: health checkers carry no credentials, and it says nothing
            // beyond whether collection works.
            return only("GET, HEAD") {
                respond(Response.full(context.healthy ? .ok : .serviceUnavailable, contentType: "application/json",
                                      body: context.healthJSON + [0x0a], keepAlive: keepAlive, headOnly: isHead, headers: cors))
            }
        default:
            // The page's other files (/app.js, /app.css, …), under the same rules as the page.
            if let asset = LivePage.asset(at: request.path) {
                return only("GET, HEAD") { authorized { pageFile(asset) } }
            }
            return respond(Response.error(.notFound, "no such endpoint; try /, /events, /snapshot, /units, /metrics or /healthz (the page loads \(pageFiles))",
                                          keepAlive: keepAlive))
        }
    }
}

extension String {
    fileprivate func lowercasedASCIIContains(_ needle: String) -> Bool {
        let hay = Array(utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 })
        let n = Array(needle.utf8)
        guard hay.count >= n.count else { return false }
        return (0...(hay.count - n.count)).contains { i in hay[i..<(i + n.count)].elementsEqual(n) }
    }
}

extension Substring {
    fileprivate func trimmingCharacters() -> String {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
