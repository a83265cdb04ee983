// libFuzzer target for the incremental HTTP/1.x request-head parser
// (Sources/HTTP/RequestParser.swift).
//
// The input is the byte stream a client sends on one connection, used as is (no framing), so any
// request file is a valid seed. Each input is parsed under the default limits and under small
// limits derived from the input, and the fuzzer traps (a crash for libFuzzer) when an invariant
// fails:
//   - feeding the stream in 2 to 4 chunks (split points taken from its first bytes), or one byte
//     at a time (streams up to 256 bytes), gives exactly the result of feeding it in one go;
//   - `.complete` consumes 1...buffer.count bytes, ending in LF, never more than maxHeadBytes,
//     with at most maxHeaderCount fields, and re-parsing just those bytes gives the same head;
//   - `.incomplete` never leaves more than maxHeadBytes bytes buffered (the server reads at most
//     maxHeadBytes + 1 and must then get an answer);
//   - pipelining: after `.complete`, dropping the consumed bytes and calling reset() parses the
//     next request the same way, until a result is not `.complete`.
import HTTP

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    check(input, limits: RequestLimits())
    if let first = input.first, let last = input.last {
        check(input, limits: RequestLimits(maxHeadBytes: 16 + Int(first), maxHeaderCount: Int(last % 8)))
    }
    return 0
}

/// Fails the fuzz run (libFuzzer records the input as a crash).
func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
             file: StaticString = #file, line: UInt = #line) {
    if !condition() { fatalError("invariant violated: \(message())", file: file, line: line) }
}

func parseOneShot(_ bytes: ArraySlice<UInt8>, limits: RequestLimits) -> ParseResult {
    var parser = RequestParser(limits: limits)
    return bytes.withUnsafeBytes { parser.parse($0) }
}

/// Feeds `bytes` into a growing buffer, `cuts` marking where each delivery ends, and returns the
/// first result that is not `.incomplete` (as a connection would act on it).
func parseChunked(_ bytes: ArraySlice<UInt8>, cuts: [Int], limits: RequestLimits) -> ParseResult {
    var parser = RequestParser(limits: limits)
    var buffer: [UInt8] = []
    buffer.reserveCapacity(bytes.count)
    var from = bytes.startIndex
    for cut in cuts + [bytes.count] {
        let to = bytes.startIndex + cut
        guard to > from else { continue }
        buffer.append(contentsOf: bytes[from..<to])
        from = to
        let result = buffer.withUnsafeBytes { parser.parse($0) }
        if result != .incomplete { return result }
    }
    return .incomplete
}

func check(_ input: [UInt8], limits: RequestLimits) {
    // As the server does: one parser per connection, the buffer loses each complete head and the
    // parser is reset before the next request.
    var parser = RequestParser(limits: limits)
    var buffer = input
    // Every round consumes at least one byte, so this ends; the cap keeps runs fast.
    for _ in 0..<64 {
        let rest = buffer[...]
        let once = buffer.withUnsafeBytes { parser.parse($0) }
        let fresh = parseOneShot(rest, limits: limits)
        require(once == fresh, "after reset(): \(once), fresh parser: \(fresh)")

        // Chunked delivery: split points taken from the first bytes of the stream.
        if rest.count >= 2 {
            var cuts: [Int] = []
            for k in 0..<min(3, rest.count) {
                cuts.append(1 + Int(rest[rest.startIndex + k]) % (rest.count - 1))
            }
            cuts.sort()
            let chunked = parseChunked(rest, cuts: cuts, limits: limits)
            require(chunked == once, "chunked at \(cuts): \(chunked), one-shot: \(once)")
        }
        if rest.count <= 256 {
            let byteByByte = parseChunked(rest, cuts: Array(1..<max(1, rest.count)), limits: limits)
            require(byteByByte == once, "byte by byte: \(byteByByte), one-shot: \(once)")
        }

        switch once {
        case .incomplete:
            // The server reads at most maxHeadBytes + 1 bytes while a head is incomplete, so
            // that one byte over the limit is seen and refused: waiting for more with that many
            // buffered would stall the connection until its head timeout.
            require(rest.count <= limits.maxHeadBytes,
                    "incomplete with \(rest.count) bytes buffered, limit \(limits.maxHeadBytes)")
            return
        case .invalid(let error):
            _ = error.status
            return
        case .complete(let head, let consumed):
            require(consumed >= 1 && consumed <= rest.count, "consumed \(consumed) of \(rest.count)")
            require(rest[rest.startIndex + consumed - 1] == UInt8(ascii: "\n"), "head does not end in LF")
            require(consumed <= limits.maxHeadBytes, "complete head of \(consumed) bytes, limit \(limits.maxHeadBytes)")
            require(head.headers.count <= limits.maxHeaderCount,
                    "\(head.headers.count) header fields, limit \(limits.maxHeaderCount)")
            require(!head.method.isEmpty, "empty method")
            require(head.target == "*" || head.target.hasPrefix("/"), "target \(head.target)")
            require(head.minorVersion == 0 || head.minorVersion == 1, "minor version \(head.minorVersion)")
            // The head alone parses to the same thing: nothing after it was looked at.
            let alone = parseOneShot(rest.prefix(consumed), limits: limits)
            require(alone == once, "head alone: \(alone), with what follows: \(once)")
            // Exercise the accessors the server uses.
            _ = head.path
            _ = head.query
            _ = head.queryParameter("last_event_id")
            _ = head.header("last-event-id")
            _ = head.keepAlive
            buffer.removeFirst(consumed)
            parser.reset()
        }
    }
}
