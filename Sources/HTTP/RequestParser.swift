/// Why a request was refused, as the status to answer with.
public enum RequestError: Error, Equatable, Sendable {
    case badRequest(String)          // 400
    case uriTooLong                  // 414
    case headersTooLarge             // 431
    case contentTooLarge             // 413: procstream takes no bodies
    case versionNotSupported         // 505

    public var status: Status {
        switch self {
        case .badRequest: return .badRequest
        case .uriTooLong: return .uriTooLong
        case .headersTooLarge: return .headersTooLarge
        case .contentTooLarge: return .contentTooLarge
        case .versionNotSupported: return .versionNotSupported
        }
    }
}

public enum ParseResult: Equatable, Sendable {
    /// A whole head; `consumed` bytes of the buffer belong to it.
    case complete(RequestHead, consumed: Int)
    /// Valid so far; more bytes are needed.
    case incomplete
    case invalid(RequestError)
}

public struct RequestLimits: Equatable, Sendable {
    /// The request line and all header lines together, in bytes.
    public var maxHeadBytes: Int
    public var maxHeaderCount: Int

    public init(maxHeadBytes: Int = 8192, maxHeaderCount: Int = 64) {
        self.maxHeadBytes = maxHeadBytes
        self.maxHeaderCount = maxHeaderCount
    }
}

/// An incremental HTTP/1.x request-head parser in the manner of picohttpparser: it is handed the
/// whole buffer received so far each time and remembers how far it has already checked, so a
/// client that sends one byte at a time costs linear, not quadratic, work. Bytes are validated
/// as they arrive, so junk is refused at once instead of after the size limit.
public struct RequestParser: Sendable {
    public let limits: RequestLimits
    /// Bytes already checked, line ends seen, and whether the request line is done.
    private var checked = 0
    private var lines = 0
    private var lineStart = 0

    public init(limits: RequestLimits = RequestLimits()) { self.limits = limits }

    /// Forget progress (after a complete request, before the next one on the same connection).
    public mutating func reset() { checked = 0; lines = 0; lineStart = 0 }

    public mutating func parse(_ buffer: UnsafeRawBufferPointer) -> ParseResult {
        var i = checked
        while i < buffer.count {
            // Byte i is the (i+1)th of the head: one past the limit is refused before anything
            // else, so a head of exactly maxHeadBytes still completes and one more never does.
            if i >= limits.maxHeadBytes { return .invalid(lines == 0 ? .uriTooLong : .headersTooLarge) }
            let b = buffer[i]
            if b == UInt8(ascii: "\n") {
                let end = (i > lineStart && buffer[i - 1] == UInt8(ascii: "\r")) ? i - 1 : i
                if end == lineStart {
                    if lines == 0 {
                        // RFC 9112 §2.2: ignore at least one empty line before the request line.
                        lineStart = i + 1
                        i += 1
                        if lineStart > 4 { return .invalid(.badRequest("empty lines before request")) }
                        continue
                    }
                    checked = i + 1
                    return finish(buffer, headEnd: i + 1)
                }
                if lines > limits.maxHeaderCount { return .invalid(.headersTooLarge) }
                if lines > 0, buffer[lineStart] == UInt8(ascii: " ") || buffer[lineStart] == UInt8(ascii: "\t") {
                    return .invalid(.badRequest("obsolete line folding"))
                }
                lines += 1
                lineStart = i + 1
            } else if b == UInt8(ascii: "\r") {
                // Only valid directly before LF: if the next byte has not arrived, stop here and
                // look at this CR again next time.
                if i + 1 == buffer.count { break }
                if buffer[i + 1] != UInt8(ascii: "\n") { return .invalid(.badRequest("bare CR")) }
            } else if b < 0x20 && b != UInt8(ascii: "\t") || b == 0x7f {
                return .invalid(.badRequest("control character in head"))
            } else if b >= 0x80 && lines == 0 {
                return .invalid(.badRequest("non-ASCII byte in request line"))
            }
            i += 1
        }
        checked = i
        return .incomplete
    }

    /// Splits a complete head (all characters already checked) into its parts.
    private func finish(_ buffer: UnsafeRawBufferPointer, headEnd: Int) -> ParseResult {
        var lines: [UnsafeRawBufferPointer.SubSequence] = []
        var start = 0
        for i in 0..<headEnd where buffer[i] == UInt8(ascii: "\n") {
            var end = i
            if end > start, buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            if end > start { lines.append(buffer[start..<end]) }
            start = i + 1
        }
        guard let requestLine = lines.first else { return .invalid(.badRequest("no request line")) }
        let parts = requestLine.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3 else { return .invalid(.badRequest("request line must be METHOD SP TARGET SP VERSION")) }
        let method = parts[0], rawTarget = parts[1], version = parts[2]
        guard !method.isEmpty, method.allSatisfy(isTokenByte) else { return .invalid(.badRequest("bad method")) }
        guard !rawTarget.isEmpty, rawTarget.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else { return .invalid(.badRequest("bad request target")) }

        guard version.count == 8, version.starts(with: "HTTP/".utf8),
              let major = digit(version[version.startIndex + 5]), version[version.startIndex + 6] == UInt8(ascii: "."),
              let minor = digit(version[version.startIndex + 7]) else {
            return .invalid(.badRequest("bad HTTP version"))
        }
        guard major == 1 else { return .invalid(.versionNotSupported) }

        var target = String(decoding: rawTarget, as: UTF8.self)
        if rawTarget.first != UInt8(ascii: "/") && target != "*" {
            // Absolute form (RFC 9112 §3.2.2): keep only the path and query.
            let bytes = Array(rawTarget)
            guard let sep = (0..<max(0, bytes.count - 2)).first(where: { bytes[$0] == 0x3a && bytes[$0 + 1] == 0x2f && bytes[$0 + 2] == 0x2f }),
                  sep > 0, bytes[0..<sep].allSatisfy({ isTokenByte($0) }) else {
                return .invalid(.badRequest("request target must be a path"))
            }
            let rest = bytes[(sep + 3)...]
            if let p = rest.firstIndex(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") }) {
                target = (bytes[p] == UInt8(ascii: "?") ? "/" : "") + String(decoding: bytes[p...], as: UTF8.self)
            } else {
                target = "/"
            }
        }

        var headers: [RequestHead.Header] = []
        headers.reserveCapacity(lines.count - 1)
        var contentLength: Int?
        var hosts = 0
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return .invalid(.badRequest("header without colon")) }
            let name = line[line.startIndex..<colon]
            guard !name.isEmpty, name.allSatisfy(isTokenByte) else { return .invalid(.badRequest("bad header name")) }
            var value = line[(colon + 1)...]
            while let f = value.first, f == 0x20 || f == 0x09 { value = value.dropFirst() }
            while let l = value.last, l == 0x20 || l == 0x09 { value = value.dropLast() }
            let header = RequestHead.Header(String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
            if asciiCaseInsensitiveEquals(header.name, "host") { hosts += 1 }
            if asciiCaseInsensitiveEquals(header.name, "transfer-encoding") {
                return .invalid(.badRequest("Transfer-Encoding is not accepted on requests here"))
            }
            if asciiCaseInsensitiveEquals(header.name, "content-length") {
                guard !value.isEmpty, value.count <= 18, value.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                      let n = Int(header.value) else { return .invalid(.badRequest("bad Content-Length")) }
                if let previous = contentLength, previous != n { return .invalid(.badRequest("conflicting Content-Length")) }
                contentLength = n
            }
            headers.append(header)
        }
        if minor >= 1 && hosts != 1 { return .invalid(.badRequest(hosts == 0 ? "missing Host" : "more than one Host")) }
        if let contentLength, contentLength > 0 { return .invalid(.contentTooLarge) }
        let head = RequestHead(method: String(decoding: method, as: UTF8.self), target: target,
                               minorVersion: minor >= 1 ? 1 : 0, headers: headers)
        return .complete(head, consumed: headEnd)
    }
}

@inline(__always)
private func digit(_ b: UInt8) -> Int? {
    b >= 0x30 && b <= 0x39 ? Int(b - 0x30) : nil
}

/// RFC 9110 tchar.
@inline(__always)
func isTokenByte(_ b: UInt8) -> Bool {
    switch b {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
        return true
    default:
        return "!#$%&'*+-.^_`|~".utf8.contains(b)
    }
}
