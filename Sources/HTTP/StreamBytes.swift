/// Bytes of an event stream ready for the wire in both framings a subscriber can have: as they
/// are (an HTTP/1.0 close-delimited body) and as one HTTP/1.1 chunk (RFC 9112 §7.1). Built once
/// per tick (or per history frame) and shared by every subscriber, so no subscriber costs a
/// formatting step on the hot path.
public struct StreamBytes: Equatable, Sendable {
    public let plain: [UInt8]
    public let chunk: [UInt8]

    public init(_ plain: [UInt8]) {
        self.plain = plain
        chunk = Chunked.frame(plain)
    }

    public static let empty = StreamBytes([])

    public var isEmpty: Bool { plain.isEmpty }

    public func bytes(chunked: Bool) -> [UInt8] { chunked ? chunk : plain }

    public static func + (a: StreamBytes, b: StreamBytes) -> StreamBytes { StreamBytes(a.plain + b.plain) }
}

/// HTTP/1.1 chunked transfer coding.
public enum Chunked {
    /// The last chunk with no trailers: a clean end of the body.
    public static let last: [UInt8] = Array("0\r\n\r\n".utf8)

    /// `bytes` as one chunk: the size in hex, CRLF, the bytes, CRLF. Empty input gives no
    /// bytes at all (an empty chunk would end the body).
    public static func frame(_ bytes: [UInt8]) -> [UInt8] {
        guard !bytes.isEmpty else { return [] }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 20)
        out.append(contentsOf: String(bytes.count, radix: 16).utf8)
        out.append(0x0d); out.append(0x0a)
        out.append(contentsOf: bytes)
        out.append(0x0d); out.append(0x0a)
        return out
    }
}
