/// An HTTP/1.x request head: request line and header fields, nothing else (procstream takes no
/// request bodies).
public struct RequestHead: Equatable, Sendable {
    public var method: String
    /// The request target as sent (origin form), e.g. `/events?last_event_id=5`.
    public var target: String
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    public var minorVersion: Int
    public var headers: [Header]

    public struct Header: Equatable, Sendable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) { self.name = name; self.value = value }
    }

    public init(method: String, target: String, minorVersion: Int, headers: [Header]) {
        self.method = method
        self.target = target
        self.minorVersion = minorVersion
        self.headers = headers
    }

    /// The path part of the target, without the query.
    public var path: Substring {
        target.firstIndex(of: "?").map { target[..<$0] } ?? target[...]
    }

    /// The query string after `?`, or empty.
    public var query: Substring {
        target.firstIndex(of: "?").map { target[target.index(after: $0)...] } ?? ""
    }

    /// The value of the first query parameter called `name`, undecoded.
    public func queryParameter(_ name: String) -> Substring? {
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if parts[0] == name { return parts.count > 1 ? parts[1] : "" }
        }
        return nil
    }

    /// The first header called `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { asciiCaseInsensitiveEquals($0.name, name) }?.value
    }

    /// Whether the client wants the connection kept open after the response (RFC 9112 §9.3).
    public var keepAlive: Bool {
        let tokens = headers.filter { asciiCaseInsensitiveEquals($0.name, "connection") }
            .flatMap { $0.value.split(separator: ",") }
            .map { $0.trimmingASCIISpaces().lowercasedASCII() }
        if tokens.contains("close") { return false }
        return minorVersion >= 1 || tokens.contains("keep-alive")
    }
}

func asciiCaseInsensitiveEquals(_ a: String, _ b: String) -> Bool {
    let x = a.utf8, y = b.utf8
    guard x.count == y.count else { return false }
    for (p, q) in zip(x, y) where p | 0x20 != q | 0x20 || (p ^ q) & ~0x20 != 0 { return false }
    return true
}

extension Substring {
    func trimmingASCIISpaces() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }

    func lowercasedASCII() -> String {
        String(decoding: utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
    }
}
