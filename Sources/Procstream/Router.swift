import HTTP

/// What the server knows when a request arrives; routing is a pure function of this and the
/// request head.
struct RouteContext {
    var snapshotJSON: [UInt8]
    var healthy: Bool
    var healthJSON: [UInt8]
    var subscribers: Int
    var maxClients: Int
}

enum Reply: Equatable {
    /// A whole response; the connection stays open afterwards only if `keepAlive`.
    case respond([UInt8], keepAlive: Bool)
    /// Start an event stream for this connection.
    case subscribe(lastEventID: UInt64?)
}

enum Router {
    static let retryAfterSeconds = 5

    static func route(_ request: RequestHead, _ context: RouteContext) -> Reply {
        let keepAlive = request.keepAlive
        let isHead = request.method == "HEAD"
        func only(_ methods: String, _ respond: () -> Reply) -> Reply {
            let allowed = methods.split(separator: ",").map { $0.trimmingCharacters() }
            if allowed.contains(request.method) { return respond() }
            return .respond(Response.error(.methodNotAllowed, "\(request.method) is not allowed here",
                                           headers: [("Allow", methods)], keepAlive: keepAlive), keepAlive: keepAlive)
        }
        switch request.path {
        case "/events":
            return only("GET") {
                if context.subscribers >= context.maxClients {
                    return .respond(Response.error(.serviceUnavailable, "subscriber limit (\(context.maxClients)) reached",
                                                   headers: [("Retry-After", String(retryAfterSeconds))]), keepAlive: false)
                }
                let fromHeader = request.header("Last-Event-ID").flatMap { UInt64($0) }
                let fromQuery = request.queryParameter("last_event_id").flatMap { UInt64($0) }
                return .subscribe(lastEventID: fromHeader ?? fromQuery)
            }
        case "/snapshot":
            return only("GET, HEAD") {
                .respond(Response.full(.ok, contentType: "application/json", body: context.snapshotJSON + [0x0a],
                                       keepAlive: keepAlive, headOnly: isHead), keepAlive: keepAlive)
            }
        case "/healthz":
            return only("GET, HEAD") {
                .respond(Response.full(context.healthy ? .ok : .serviceUnavailable, contentType: "application/json",
                                       body: context.healthJSON + [0x0a], keepAlive: keepAlive, headOnly: isHead),
                         keepAlive: keepAlive)
            }
        default:
            return .respond(Response.error(.notFound, "no such endpoint; try /events, /snapshot or /healthz",
                                           keepAlive: keepAlive), keepAlive: keepAlive)
        }
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
