/// A cursor over the bytes of one /proc file that knows which line it is on, so every parse
/// error can name the file and the line.
struct Scanner {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset = 0
    private(set) var line = 1

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var atEnd: Bool { offset >= bytes.count }

    /// True when the current line starts with `prefix` (bytes).
    func lineStarts(with prefix: StaticString) -> Bool {
        let n = prefix.utf8CodeUnitCount
        guard offset + n <= bytes.count else { return false }
        let p = prefix.utf8Start
        for i in 0..<n where bytes[offset + i] != p[i] { return false }
        return true
    }

    mutating func skip(_ count: Int) { offset = min(offset + count, bytes.count) }

    mutating func skipSpaces() {
        while offset < bytes.count, bytes[offset] == UInt8(ascii: " ") || bytes[offset] == UInt8(ascii: "\t") {
            offset += 1
        }
    }

    /// Skips the rest of the line, including its newline.
    mutating func nextLine() {
        while offset < bytes.count {
            let b = bytes[offset]
            offset += 1
            if b == UInt8(ascii: "\n") { line += 1; return }
        }
    }

    var atLineEnd: Bool { offset >= bytes.count || bytes[offset] == UInt8(ascii: "\n") }

    /// True at a space, tab, newline or the end of the bytes: where a number or token must stop,
    /// so `12x` is rejected rather than read as 12.
    var atTokenEnd: Bool {
        guard offset < bytes.count else { return true }
        let b = bytes[offset]
        return b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") || b == UInt8(ascii: "\n")
    }

    /// True at the newline that ends the current line. False at the end of the bytes: the kernel
    /// ends every line with a newline, so a line without one is a truncated read, and its last
    /// number may have been cut short.
    var atNewline: Bool { offset < bytes.count && bytes[offset] == UInt8(ascii: "\n") }

    /// The next whitespace-separated token on the current line (after spaces), nil at its end.
    mutating func token() -> Range<Int>? {
        skipSpaces()
        if atLineEnd { return nil }
        let start = offset
        _ = skipToken()
        return start..<offset
    }

    /// Whether the bytes in `range` are exactly `word`.
    func text(_ range: Range<Int>, is word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard range.count == n, range.lowerBound >= 0, range.upperBound <= bytes.count else { return false }
        let p = word.utf8Start
        for i in 0..<n where bytes[range.lowerBound + i] != p[i] { return false }
        return true
    }

    /// The bytes in `range` as a string (invalid UTF-8 becomes U+FFFD).
    func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// Skips one whitespace-separated token on the current line. False if the line has ended.
    mutating func skipToken() -> Bool {
        skipSpaces()
        if atLineEnd { return false }
        while offset < bytes.count {
            let b = bytes[offset]
            if b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") || b == UInt8(ascii: "\n") { break }
            offset += 1
        }
        return true
    }

    /// Skips the next token and says whether it was exactly `word` (false at the line's end).
    mutating func skipTokenMatching(_ word: StaticString) -> Bool {
        skipSpaces()
        if atLineEnd { return false }
        let start = offset
        _ = skipToken()
        let n = word.utf8CodeUnitCount
        guard offset - start == n else { return false }
        let p = word.utf8Start
        for i in 0..<n where bytes[start + i] != p[i] { return false }
        return true
    }

    /// Reads an unsigned decimal integer after optional spaces, up to the first non-digit (which
    /// is left for the caller to check). Nil if there is none or if it overflows.
    mutating func unsigned() -> UInt64? {
        skipSpaces()
        var value: UInt64 = 0
        var digits = 0
        while offset < bytes.count {
            let b = bytes[offset]
            guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") else { break }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(b - UInt8(ascii: "0")))
            if o1 || o2 { return nil }
            value = a
            digits += 1
            offset += 1
        }
        return digits > 0 ? value : nil
    }

    /// Reads a non-negative decimal like `0.12` or `12345.67` after optional spaces.
    mutating func decimal() -> Double? {
        guard let whole = unsigned() else { return nil }
        var result = Double(whole)
        if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
            offset += 1
            var scale = 0.1
            var digits = 0
            while offset < bytes.count, bytes[offset] >= UInt8(ascii: "0"), bytes[offset] <= UInt8(ascii: "9") {
                result += Double(bytes[offset] - UInt8(ascii: "0")) * scale
                scale /= 10
                digits += 1
                offset += 1
            }
            if digits == 0 { return nil }
        }
        return result
    }

    /// Reads a hexadecimal number of at most 16 digits.
    mutating func hex() -> UInt64? {
        skipSpaces()
        var value: UInt64 = 0
        var digits = 0
        while offset < bytes.count, digits < 17 {
            let b = bytes[offset]
            let d: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = b - UInt8(ascii: "A") + 10
            default: return digits > 0 && digits <= 16 ? value : nil
            }
            value = value << 4 | UInt64(d)
            digits += 1
            offset += 1
        }
        return digits > 0 && digits <= 16 ? value : nil
    }

    /// Expects `byte` at the cursor and steps over it.
    mutating func expect(_ byte: UInt8) -> Bool {
        guard offset < bytes.count, bytes[offset] == byte else { return false }
        offset += 1
        return true
    }

    /// The current line's text up to `limit` characters, for error messages.
    func currentLineExcerpt(limit: Int = 40) -> String {
        var start = offset
        while start > 0, bytes[start - 1] != UInt8(ascii: "\n") { start -= 1 }
        var end = start
        while end < bytes.count, bytes[end] != UInt8(ascii: "\n"), end - start < limit { end += 1 }
        let text = bytes[start..<end].map { $0 >= 0x20 && $0 < 0x7f ? $0 : UInt8(ascii: "?") }
        return String(decoding: text, as: UTF8.self)
    }
}

/// Why a /proc file could not be parsed: the file, the line, and what was wrong.
public struct ParseError: Error, Equatable, CustomStringConvertible {
    public let file: String
    public let line: Int
    public let message: String

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    init(_ file: String, _ scanner: Scanner, _ message: String) {
        self.init(file: file, line: scanner.line, message: "\(message) near \"\(scanner.currentLineExcerpt())\"")
    }

    public var description: String { "\(file) line \(line): \(message)" }
}
