import HTTP

/// Who may use the daemon beyond its loopback default: an optional bearer token and an exact
/// list of origins allowed to read it cross-origin.
public struct AccessPolicy: Equatable, Sendable {
    /// The token's bytes; nil: no token needed.
    public var token: [UInt8]?
    public var allowedOrigins: [String] = []

    public init(token: [UInt8]? = nil, allowedOrigins: [String] = []) {
        self.token = token
        self.allowedOrigins = allowedOrigins
    }

    static let cookieName = "procstream_token"

    /// Constant-time comparison: the time taken depends on the expected token's length only,
    /// never on where a guess first differs. The lengths are compared whole (folding their
    /// difference into a byte would let 256 extra characters pass).
    static func matches(_ presented: Substring, _ expected: [UInt8]) -> Bool {
        let given = Array(presented.utf8)
        var difference: UInt8 = given.count == expected.count ? 0 : 1
        for i in 0..<expected.count {
            difference |= expected[i] ^ (i < given.count ? given[i] : 0)
        }
        return difference == 0
    }

    /// Whether the request carries the token, as `Authorization: Bearer` or the cookie the page
    /// sets.
    public func authorizes(_ request: RequestHead) -> Bool {
        guard let token else { return true }
        if let auth = request.header("Authorization"), auth.hasPrefix("Bearer "),
           Self.matches(auth.dropFirst(7), token) { return true }
        for cookieHeader in request.headers where cookieHeader.name.lowercased() == "cookie" {
            for pair in cookieHeader.value.split(separator: ";") {
                let kv = pair.drop { $0 == " " }.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                if kv.count == 2, kv[0] == Self.cookieName, Self.matches(kv[1], token) { return true }
            }
        }
        return false
    }

    /// CORS response headers when the request's Origin is on the list (never `*`).
    func corsHeaders(_ request: RequestHead) -> [(String, String)] {
        guard let origin = request.header("Origin"), allowedOrigins.contains(origin) else { return [] }
        return [("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Credentials", "true"), ("Vary", "Origin")]
    }
}
