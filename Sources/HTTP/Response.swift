public struct Status: Equatable, Sendable {
    public let code: Int
    public let reason: String

    public static let ok = Status(code: 200, reason: "OK")
    public static let noContent = Status(code: 204, reason: "No Content")
    public static let seeOther = Status(code: 303, reason: "See Other")
    public static let badRequest = Status(code: 400, reason: "Bad Request")
    public static let unauthorized = Status(code: 401, reason: "Unauthorized")
    public static let notFound = Status(code: 404, reason: "Not Found")
    public static let methodNotAllowed = Status(code: 405, reason: "Method Not Allowed")
    public static let requestTimeout = Status(code: 408, reason: "Request Timeout")
    public static let contentTooLarge = Status(code: 413, reason: "Content Too Large")
    public static let uriTooLong = Status(code: 414, reason: "URI Too Long")
    public static let headersTooLarge = Status(code: 431, reason: "Request Header Fields Too Large")
    public static let serviceUnavailable = Status(code: 503, reason: "Service Unavailable")
    public static let versionNotSupported = Status(code: 505, reason: "HTTP Version Not Supported")
}

/// Serialises response heads. Bodies are appended by the caller; every non-streaming response
/// carries a Content-Length so keep-alive works for HTTP/1.0 and 1.1 alike.
public enum Response {
    /// A complete response with a body. `keepAlive` false adds `Connection: close`.
    public static func full(_ status: Status, contentType: String = "text/plain; charset=utf-8",
                            body: [UInt8], keepAlive: Bool, headOnly: Bool = false,
                            headers: [(String, String)] = []) -> [UInt8] {
        var out = statusLine(status)
        out.reserveCapacity(160 + body.count)
        field(&out, "Content-Type", contentType)
        field(&out, "Content-Length", String(body.count))
        field(&out, "Cache-Control", "no-store")
        for (name, value) in headers { field(&out, name, value) }
        field(&out, "Connection", keepAlive ? "keep-alive" : "close")
        out.append(contentsOf: "\r\n".utf8)
        if !headOnly { out.append(contentsOf: body) }
        return out
    }

    /// A plain-text error with a one-line explanation.
    public static func error(_ status: Status, _ message: String, headers: [(String, String)] = [], keepAlive: Bool = false) -> [UInt8] {
        full(status, body: Array("\(status.code) \(status.reason): \(message)\n".utf8), keepAlive: keepAlive, headers: headers)
    }

    /// The head of an unbounded `text/event-stream` response. HTTP/1.1 streams are chunked
    /// (RFC 9112 §7.1), so every client knows where the body ends: a clean end is the last
    /// chunk, a truncated one is not. HTTP/1.0 has no chunked coding: its body is delimited by
    /// the close (§6.3), so it says `Connection: close`.
    public static func eventStreamHead(chunked: Bool, headers: [(String, String)] = []) -> [UInt8] {
        var out = statusLine(.ok)
        field(&out, "Content-Type", "text/event-stream")
        field(&out, "Cache-Control", "no-cache")
        if chunked { field(&out, "Transfer-Encoding", "chunked") }
        field(&out, "Connection", chunked ? "keep-alive" : "close")
        field(&out, "X-Accel-Buffering", "no")
        for (name, value) in headers { field(&out, name, value) }
        out.append(contentsOf: "\r\n".utf8)
        return out
    }

    static func statusLine(_ status: Status) -> [UInt8] {
        Array("HTTP/1.1 \(status.code) \(status.reason)\r\n".utf8)
    }

    static func field(_ out: inout [UInt8], _ name: String, _ value: String) {
        out.append(contentsOf: name.utf8)
        out.append(contentsOf: ": ".utf8)
        // A header value never carries CR or LF, whatever the caller passed.
        out.append(contentsOf: value.utf8.filter { $0 != 0x0d && $0 != 0x0a && $0 != 0 })
        out.append(contentsOf: "\r\n".utf8)
    }
}
