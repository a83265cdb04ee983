import HTTP
import Testing
@testable import Streaming

func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

let context = RouteContext(snapshotJSON: Array("{\"cpu\":1}".utf8), healthy: true, healthJSON: Array("{\"status\":\"ok\"}".utf8),
                           subscribers: 0, maxClients: 2)

func request(_ method: String, _ target: String, version: Int = 1, headers: [(String, String)] = []) -> RequestHead {
    RequestHead(method: method, target: target, minorVersion: version, headers: headers.map { .init($0.0, $0.1) })
}

@Suite struct RouterTests {
    func respond(_ r: RequestHead, _ ctx: RouteContext = context) -> (String, Bool) {
        guard case .respond(let bytes, let keepAlive) = Router.route(r, ctx) else { Issue.record("not a response"); return ("", false) }
        return (text(bytes), keepAlive)
    }

    @Test func events() {
        #expect(Router.route(request("GET", "/events"), context) == .subscribe(Subscription(lastEventID: nil, replay: 1)))
        #expect(Router.route(request("GET", "/events", headers: [("Last-Event-ID", "41")]), context) == .subscribe(Subscription(lastEventID: 41, replay: 1)))
        #expect(Router.route(request("GET", "/events?last_event_id=9"), context) == .subscribe(Subscription(lastEventID: 9, replay: 1)))
        #expect(Router.route(request("GET", "/events?last_event_id=x"), context) == .subscribe(Subscription(lastEventID: nil, replay: 1)))
    }

    @Test func replayCountFollowsQueryThenAccept() {
        let es = [("Accept", "text/event-stream")]
        #expect(Router.route(request("GET", "/events", headers: es), context) == .subscribe(Subscription(lastEventID: nil, replay: Int.max)))
        #expect(Router.route(request("GET", "/events", headers: [("accept", "Text/Event-Stream, */*")]), context) == .subscribe(Subscription(lastEventID: nil, replay: Int.max)))
        #expect(Router.route(request("GET", "/events?history=0", headers: es), context) == .subscribe(Subscription(lastEventID: nil, replay: 0)))
        #expect(Router.route(request("GET", "/events?history=50"), context) == .subscribe(Subscription(lastEventID: nil, replay: 50)))
        #expect(Router.route(request("GET", "/events?history=-3"), context) == .subscribe(Subscription(lastEventID: nil, replay: 1)))
        // HTTP/1.0 has no chunked coding: its stream is close-delimited.
        #expect(Router.route(request("GET", "/events", version: 0), context) == .subscribe(Subscription(lastEventID: nil, replay: 1, chunked: false)))
        #expect(Router.route(request("GET", "/events", version: 1), context) == .subscribe(Subscription(lastEventID: nil, replay: 1, chunked: true)))
    }

    @Test func livePage() {
        let (r, keepAlive) = respond(request("GET", "/"))
        #expect(r.hasPrefix("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"))
        #expect(r.contains("\r\nCache-Control: no-store\r\n"))
        #expect(r.contains("<!doctype html>"))
        #expect(r.contains("<script src=\"app.js\"></script>"))
        #expect(keepAlive)
    }

    static let csp = "Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'\r\n"

    /// The page's files, each with its type and the page's headers; nothing inline is allowed.
    @Test(arguments: [("/", "text/html; charset=utf-8", "<!doctype html>"),
                      ("/app.js", "text/javascript; charset=utf-8", "EventSource"),
                      ("/model.js", "text/javascript; charset=utf-8", "function scaleAxis"),
                      ("/cards.js", "text/javascript; charset=utf-8", "const CARDS"),
                      ("/units.js", "text/javascript; charset=utf-8", "function applyUnits"),
                      ("/draw.js", "text/javascript; charset=utf-8", "ProcstreamDraw"),
                      ("/services.js", "text/javascript; charset=utf-8", "ProcstreamServices"),
                      ("/app.css", "text/css; charset=utf-8", "prefers-color-scheme")])
    func pageFiles(path: String, type: String, sample: String) {
        let (r, _) = respond(request("GET", path))
        #expect(r.hasPrefix("HTTP/1.1 200 OK\r\nContent-Type: \(type)\r\n"))
        #expect(r.contains(Self.csp))
        #expect(!r.contains("unsafe-inline"))
        #expect(r.contains("\r\nX-Content-Type-Options: nosniff\r\n"))
        #expect(r.contains("\r\nReferrer-Policy: no-referrer\r\n"))
        #expect(r.contains("\r\nCache-Control: no-store\r\n"))
        #expect(r.contains(sample))
        let body = r.split(separator: "\r\n\r\n", maxSplits: 1).last.map(String.init) ?? ""
        #expect(r.contains("\r\nContent-Length: \(body.utf8.count)\r\n"))
        // HEAD: the same head, no body.
        let (h, _) = respond(request("HEAD", path))
        #expect(r.utf8.starts(with: h.utf8) && h.utf8.count + body.utf8.count == r.utf8.count && h.hasSuffix("\r\n\r\n"))
        #expect(respond(request("POST", path)).0.contains("Allow: GET, HEAD\r\n"))
    }

    @Test func pageFilesStayBelow100KB() {
        let total = ["/", "/app.js", "/model.js", "/units.js", "/cards.js", "/draw.js", "/services.js", "/app.css"].reduce(0) { $0 + respond(request("GET", $1)).0.utf8.count }
        #expect(total < 100_000)
    }

    @Test func subscriberLimitIs503WithRetryAfter() {
        var full = context
        full.subscribers = 2
        let (r, keepAlive) = respond(request("GET", "/events"), full)
        #expect(r.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"))
        #expect(r.contains("Retry-After: 5\r\n"))
        #expect(!keepAlive)
    }

    @Test func snapshotAndHealth() {
        let (s, keepAlive) = respond(request("GET", "/snapshot"))
        #expect(s.hasPrefix("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"))
        #expect(s.hasSuffix("\r\n\r\n{\"cpu\":1}\n"))
        #expect(keepAlive)
        let (h, _) = respond(request("HEAD", "/healthz"))
        #expect(h.hasPrefix("HTTP/1.1 200 OK") && h.hasSuffix("\r\n\r\n"))
        var sick = context
        sick.healthy = false
        #expect(respond(request("GET", "/healthz"), sick).0.hasPrefix("HTTP/1.1 503 "))
    }

    @Test func wrongMethodIs405WithAllow() {
        let (r, _) = respond(request("POST", "/events"))
        #expect(r.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n"))
        #expect(r.contains("Allow: GET\r\n"))
        #expect(respond(request("DELETE", "/snapshot")).0.contains("Allow: GET, HEAD\r\n"))
    }

    @Test(arguments: ["/nope", "/../etc/passwd", "/events/", "/%65vents", "/snapshot/../events", "*",
                      "/index.html", "/app.js/", "/APP.JS", "/web/app.js", "/app.js%00", "//app.js"])
    func unknownPathsAre404(_ path: String) {
        let (r, _) = respond(request("GET", path))
        #expect(r.hasPrefix("HTTP/1.1 404 Not Found\r\n"))
        #expect(r.hasSuffix("\r\n\r\n404 Not Found: no such endpoint; try /, /events, /snapshot, /units, /metrics or /healthz (the page loads /app.css, /app.js, /cards.js, /draw.js, /model.js, /services.js, /units.js)\n"))
    }

    @Test func queryOnAPageFileIsIgnored() {
        #expect(respond(request("GET", "/app.css?v=2")).0.hasPrefix("HTTP/1.1 200 OK\r\nContent-Type: text/css; charset=utf-8\r\n"))
    }

    @Test func http10ClosesUnlessAsked() {
        #expect(!respond(request("GET", "/snapshot", version: 0)).1)
        #expect(respond(request("GET", "/snapshot", version: 0, headers: [("Connection", "keep-alive")])).1)
    }
}

@Suite struct ConnectionMachineTests {
    let route: (RequestHead) -> Reply = { Router.route($0, context) }

    @Test func pipelinedRequestsAnsweredInOrder() {
        var c = ConnectionMachine(now: 0)
        let bytes = Array("GET /snapshot HTTP/1.1\r\nHost: h\r\n\r\nGET /healthz HTTP/1.1\r\nHost: h\r\n\r\nGET /events HTTP/1.1\r\nHost: h\r\n\r\n".utf8)
        let actions = c.received(bytes, now: 1, route: route)
        #expect(actions.count == 3)
        guard case .send(let a) = actions[0], case .send(let b) = actions[1] else { Issue.record(); return }
        #expect(text(a).hasSuffix("{\"cpu\":1}\n"))
        #expect(text(b).hasSuffix("{\"status\":\"ok\"}\n"))
        #expect(actions[2] == .subscribe(Subscription(lastEventID: nil, replay: 1, chunked: true, headers: [])))
        #expect(c.state == .streaming(.init(chunked: true, replayNext: nil, units: nil)))
        #expect(c.readBudget == 0)
        // A subscriber's further input is ignored.
        let r1 = c.received(Array("junk".utf8), now: 2, route: route)
        #expect(r1.isEmpty)
    }

    @Test func requestSplitAcrossReads() {
        var c = ConnectionMachine(now: 0)
        let r2 = c.received(Array("GET /events HT".utf8), now: 1, route: route)
        #expect(r2.isEmpty)
        let r3 = c.received(Array("TP/1.1\r\nHost: h\r\n".utf8), now: 2, route: route)
        #expect(r3.isEmpty)
        let r4 = c.received(Array("\r\n".utf8), now: 3, route: route)
        #expect(r4 == [.subscribe(Subscription(lastEventID: nil, replay: 1, chunked: true, headers: []))])
    }

    @Test func malformedGets4xxAndClose() {
        var c = ConnectionMachine(now: 0)
        let actions = c.received(Array("GET / HTTP/3.0\r\n\r\n".utf8), now: 1, route: route)
        guard case .send(let r) = actions.first else { Issue.record(); return }
        #expect(text(r).hasPrefix("HTTP/1.1 505 HTTP Version Not Supported\r\n"))
        #expect(text(r).contains("Connection: close"))
        #expect(actions.last == .closeAfterFlush)
        #expect(c.state == .closing(deadline: 1 + c.headTimeoutNanos))
        let r5 = c.received(Array("GET / HTTP/1.1\r\nHost: h\r\n\r\n".utf8), now: 2, route: route)
        #expect(r5.isEmpty)
        // A client that never takes the error response is let go at the deadline.
        let early = c.tick(now: c.headTimeoutNanos)
        #expect(early.isEmpty)
        let late = c.tick(now: 1 + c.headTimeoutNanos)
        #expect(late == [.close])
    }

    @Test func oversizedHeadIs431() {
        var c = ConnectionMachine(now: 0, limits: RequestLimits(maxHeadBytes: 100, maxHeaderCount: 10))
        #expect(c.readBudget == 101)
        let actions = c.received(Array(("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 200)).utf8), now: 1, route: route)
        guard case .send(let r) = actions.first else { Issue.record(); return }
        #expect(text(r).hasPrefix("HTTP/1.1 431 "))
    }

    @Test func closeAfterNonKeepAliveResponse() {
        var c = ConnectionMachine(now: 0)
        let actions = c.received(Array("GET /snapshot HTTP/1.0\r\n\r\n".utf8), now: 1, route: route)
        #expect(actions.count == 2 && actions.last == .closeAfterFlush)
    }

    @Test func headTimeout() {
        var c = ConnectionMachine(now: 0, headTimeoutNanos: 10)
        _ = c.received(Array("GET /ev".utf8), now: 1, route: route)
        let r6 = c.tick(now: 9)
        #expect(r6.isEmpty)
        let actions = c.tick(now: 10)
        guard case .send(let r) = actions.first else { Issue.record(); return }
        #expect(text(r).hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
        #expect(actions.last == .closeAfterFlush)
        let r7 = c.tick(now: 19)
        #expect(r7.isEmpty)
        let r7b = c.tick(now: 20)       // the 408 was not taken either: let go
        #expect(r7b == [.close])
    }

    @Test func idleKeepAliveTimesOutSilently() {
        var c = ConnectionMachine(now: 0, headTimeoutNanos: 10)
        _ = c.received(Array("GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n".utf8), now: 5, route: route)
        let r8 = c.tick(now: 14)
        #expect(r8.isEmpty)     // deadline restarted at 5
        let r9 = c.tick(now: 15)
        #expect(r9 == [.close])
    }

    /// After a final response the connection half-closes and drains the client's input for a
    /// bounded time and size, so closing never resets a response still in flight.
    @Test func errorResponseLingersThenCloses() {
        var c = ConnectionMachine(now: 0, headTimeoutNanos: 10)
        let actions = c.received(Array("GET / HTTP/1.1\r\nBad Header\r\n\r\nmore bytes".utf8), now: 1, route: route)
        #expect(actions.last == .closeAfterFlush)
        #expect(c.flushed(now: 5) == [.shutdownWrite])
        #expect(c.state == .lingering(deadline: 5 + ConnectionMachine.lingerNanos, discarded: 0))
        #expect(c.readBudget == 0)
        #expect(c.received(Array("GET / HTTP/1.1\r\n\r\n".utf8), now: 6, route: route).isEmpty)   // not parsed
        #expect(c.discarded(1000).isEmpty)
        #expect(c.tick(now: 4 + ConnectionMachine.lingerNanos).isEmpty)
        #expect(c.tick(now: 5 + ConnectionMachine.lingerNanos) == [.close])
        // Flushing again, or flushing a connection that is not closing, does nothing.
        #expect(c.flushed(now: 7).isEmpty)
        var streaming = ConnectionMachine(now: 0)
        _ = streaming.received(Array("GET /events HTTP/1.1\r\nHost: h\r\n\r\n".utf8), now: 1, route: route)
        #expect(streaming.flushed(now: 2).isEmpty)
        #expect(streaming.discarded(ConnectionMachine.lingerByteLimit * 2).isEmpty)   // a subscriber's input: just dropped
    }

    @Test func lingeringStopsAtItsByteLimitOrTheClientsClose() {
        var c = ConnectionMachine(now: 0)
        _ = c.received(Array("GET /snapshot HTTP/1.0\r\n\r\n".utf8), now: 1, route: route)
        #expect(c.flushed(now: 1) == [.shutdownWrite])
        #expect(c.discarded(ConnectionMachine.lingerByteLimit).isEmpty)
        #expect(c.discarded(1) == [.close])
        var d = ConnectionMachine(now: 0)
        _ = d.received(Array("GET /snapshot HTTP/1.0\r\n\r\n".utf8), now: 1, route: route)
        _ = d.flushed(now: 1)
        #expect(d.peerClosed() == [.close])
    }

    @Test func peerClose() {
        var c = ConnectionMachine(now: 0)
        let r10 = c.peerClosed()
        #expect(r10 == [.close])
        #expect(c.state == .closing(deadline: 0))
    }
}

@Suite struct OutputQueueTests {
    @Test func boundIsEnforced() {
        var q = OutputQueue(limit: 10)
        let first = q.append([1, 2, 3, 4, 5, 6])
        let over = q.append([7, 8, 9, 10, 11])   // 11 > 10: refused whole
        #expect(first && !over)
        #expect(q.count == 6)
        let exact = q.append([7, 8, 9, 10])      // exactly 10
        #expect(exact)
        #expect(q.count == 10)
    }

    /// One response or event larger than the bound still goes out when nothing is queued
    /// (a /metrics body for many units); a second one behind it is refused.
    @Test func anEmptyQueueTakesOneLargePiece() {
        var q = OutputQueue(limit: 10)
        let large = q.append([UInt8](repeating: 1, count: 25))
        let behind = q.append([2])
        #expect(large && !behind)
        q.drain { $0.count }
        let next = q.append([3])
        #expect(next)
    }

    @Test func drainsPartially() {
        var q = OutputQueue(limit: 100)
        _ = q.append(Array(0..<10))
        var seen: [UInt8] = []
        q.drain { b in seen = Array(b.prefix(4)); return 4 }
        #expect(seen == [0, 1, 2, 3])
        #expect(q.count == 6)
        q.drain { b in seen = Array(b); return 0 }
        #expect(seen == [4, 5, 6, 7, 8, 9])
        q.drain { $0.count }
        #expect(q.isEmpty)
        #expect(q.bytes.capacity == 0)          // memory of a burst is released
    }

    @Test func gatheredSendQueuesOnlyTheRest() {
        var q = OutputQueue(limit: 10)
        _ = q.append([1, 2, 3])
        var seen: ([UInt8], [UInt8]) = ([], [])
        // Sent all that was queued and one byte of the new: the other two are queued.
        #expect(q.send(appending: [4, 5, 6]) { a, b in seen = (Array(a), Array(b)); return 4 })
        #expect(seen.0 == [1, 2, 3] && seen.1 == [4, 5, 6])
        q.drain { b in seen.0 = Array(b); return 0 }
        #expect(seen.0 == [5, 6])
        // Sent part of the queue only: all of the new is queued after it.
        #expect(q.send(appending: [7]) { _, _ in 1 })
        q.drain { b in seen.0 = Array(b); return 0 }
        #expect(seen.0 == [6, 7])
        // Over the limit: refused.
        #expect(!q.send(appending: Array(repeating: 0, count: 20)) { _, _ in 0 })
    }
}
