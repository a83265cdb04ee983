import HTTP

/// What a subscriber asked for: where to resume, how much history, the framing, and whether it
/// wants the per-unit view.
public struct Subscription: Equatable, Sendable {
    /// Resume after this event (Last-Event-ID, or `?last_event_id=`).
    public var lastEventID: UInt64?
    /// How many recent events a fresh subscriber gets first (at least the latest).
    public var replay: Int
    /// HTTP/1.1 chunked body (false: HTTP/1.0, close-delimited).
    public var chunked: Bool
    /// Go on the stream's response head (CORS).
    public var headers: [RequestHead.Header]
    /// `?units=`: a `units` event every tick as well (nil: none).
    public var units: UnitSelection?

    public init(lastEventID: UInt64? = nil, replay: Int = 1, chunked: Bool = true, headers: [RequestHead.Header] = [],
                units: UnitSelection? = nil) {
        self.lastEventID = lastEventID
        self.replay = replay
        self.chunked = chunked
        self.headers = headers
        self.units = units
    }
}

/// Which units a subscriber's `units` events carry: all of them, or only the named ones (a
/// unit that does not exist yet appears when it starts).
public enum UnitSelection: Hashable, Sendable {
    case all
    /// Sorted and unique, so equal selections are one key.
    case only([String])

    public static let maxNames = 64
    static let maxNameLength = 256

    public enum ParseError: Error, Equatable { case tooMany, badName(String) }

    /// `?units=1` (or `all`) is every unit; `?units=a.service,b.scope` only those; absent, empty
    /// or `0` is none. A name must look like a unit name (letters, digits, `:-_.@\`), at most
    /// 64 of them.
    public static func parse(_ value: Substring?) throws(ParseError) -> UnitSelection? {
        guard let value, !value.isEmpty, value != "0" else { return nil }
        if value == "1" || value == "all" { return .all }
        let names = value.split(separator: ",", omittingEmptySubsequences: true).map(percentDecoded)
        guard names.count <= maxNames else { throw .tooMany }
        for name in names {
            guard !name.isEmpty, name.utf8.count <= maxNameLength,
                  name.utf8.allSatisfy({ b in (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || ":-_.@\\".utf8.contains(b) }) else {
                throw .badName(String(name.prefix(64)))
            }
        }
        return names.isEmpty ? nil : .only(Array(Set(names)).sorted())
    }

    public func includes(_ unit: String) -> Bool {
        switch self {
        case .all: return true
        case .only(let names): return names.contains(unit)
        }
    }

    /// `%5C` (a backslash in systemd's escaping, `\x2d`) and friends, as a browser sends them.
    private static func percentDecoded(_ s: Substring) -> String {
        var out: [UInt8] = []
        var bytes = Array(s.utf8)[...]
        while let b = bytes.popFirst() {
            if b == UInt8(ascii: "%"), bytes.count >= 2, let v = UInt8(String(decoding: bytes.prefix(2), as: UTF8.self), radix: 16) {
                out.append(v)
                bytes = bytes.dropFirst(2)
            } else {
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
