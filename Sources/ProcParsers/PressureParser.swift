/// Pressure stall information (PSI, Linux 4.20+): /proc/pressure/cpu, memory and io.
///
///     some avg10=1.44 avg60=0.50 avg300=0.10 total=123456789
///     full avg10=0.00 avg60=0.00 avg300=0.00 total=0
///
/// `some` is the share of time in which at least one task was stalled on the resource, `full`
/// the share in which every non-idle task was. The averages are percentages over the last 10,
/// 60 and 300 seconds; `total` is the stall time since boot in microseconds, a raw counter
/// (rates are computed by whoever keeps the previous reading).

/// One `some` or `full` line.
public struct PressureStall: Equatable, Sendable {
    public var avg10: Double
    public var avg60: Double
    public var avg300: Double
    public var totalMicros: UInt64

    public init(avg10: Double, avg60: Double, avg300: Double, totalMicros: UInt64) {
        (self.avg10, self.avg60, self.avg300, self.totalMicros) = (avg10, avg60, avg300, totalMicros)
    }
}

/// One /proc/pressure file.
public struct Pressure: Equatable, Sendable {
    public var some: PressureStall
    /// nil when the file has no `full` line: pressure/cpu before Linux 5.13.
    public var full: PressureStall?

    public init(some: PressureStall, full: PressureStall?) {
        self.some = some
        self.full = full
    }
}

extension Parse {
    /// Parses /proc/pressure/cpu, memory or io; pass the file's name (`pressure/memory`) so errors
    /// say which. Keys may come in any order and unknown keys and lines are ignored, but each of
    /// avg10, avg60, avg300 and total must appear once on a `some` or `full` line, as a
    /// non-negative number; a missing `some` line, a second one, a token that is not `key=value`
    /// and a line cut off before its newline are errors.
    public static func pressure(_ bytes: UnsafeRawBufferPointer, file: String = "pressure") throws(ParseError) -> Pressure {
        var s = Scanner(bytes)
        var some: PressureStall?
        var full: PressureStall?
        while !s.atEnd {
            guard let kind = s.token() else { s.nextLine(); continue }
            if s.text(kind, is: "some") {
                guard some == nil else { throw ParseError(file, s, "a second \"some\" line") }
                some = try pressureStall(&s, file: file)
            } else if s.text(kind, is: "full") {
                guard full == nil else { throw ParseError(file, s, "a second \"full\" line") }
                full = try pressureStall(&s, file: file)
            }
            s.nextLine()
        }
        guard let some else { throw ParseError(file: file, line: s.line, message: "no \"some\" line") }
        return Pressure(some: some, full: full)
    }

    /// The `key=value` tokens after `some` or `full`, up to the newline (left for the caller).
    static func pressureStall(_ s: inout Scanner, file: String) throws(ParseError) -> PressureStall {
        var avg10: Double?, avg60: Double?, avg300: Double?
        var total: UInt64?
        while true {
            s.skipSpaces()
            if s.atLineEnd { break }
            let keyStart = s.offset
            while !s.atTokenEnd, s.bytes[s.offset] != UInt8(ascii: "=") { s.skip(1) }
            let key = keyStart..<s.offset
            guard !key.isEmpty, !s.atTokenEnd else { throw ParseError(file, s, "expected key=value") }
            s.skip(1)   // "="
            guard !s.atTokenEnd else { throw ParseError(file, s, "no value after \"\(s.string(key))=\"") }
            guard s.bytes[s.offset] != UInt8(ascii: "-") else { throw ParseError(file, s, "negative \(s.string(key))") }
            if s.text(key, is: "total") {
                guard total == nil else { throw ParseError(file, s, "a second total") }
                guard let v = s.unsigned(), s.atTokenEnd else { throw ParseError(file, s, "bad total") }
                total = v
            } else if s.text(key, is: "avg10") {
                guard avg10 == nil else { throw ParseError(file, s, "a second avg10") }
                avg10 = try percentage(&s, file: file, key: "avg10")
            } else if s.text(key, is: "avg60") {
                guard avg60 == nil else { throw ParseError(file, s, "a second avg60") }
                avg60 = try percentage(&s, file: file, key: "avg60")
            } else if s.text(key, is: "avg300") {
                guard avg300 == nil else { throw ParseError(file, s, "a second avg300") }
                avg300 = try percentage(&s, file: file, key: "avg300")
            } else {
                while !s.atTokenEnd { s.skip(1) }   // a key from a later kernel
            }
        }
        guard s.atNewline else { throw ParseError(file, s, "line ends without a newline (truncated read)") }
        guard let avg10 else { throw ParseError(file, s, "no avg10") }
        guard let avg60 else { throw ParseError(file, s, "no avg60") }
        guard let avg300 else { throw ParseError(file, s, "no avg300") }
        guard let total else { throw ParseError(file, s, "no total") }
        return PressureStall(avg10: avg10, avg60: avg60, avg300: avg300, totalMicros: total)
    }

    private static func percentage(_ s: inout Scanner, file: String, key: String) throws(ParseError) -> Double {
        guard let v = s.exactDecimal(), s.atTokenEnd else { throw ParseError(file, s, "bad \(key)") }
        return v
    }
}

extension Scanner {
    /// Reads a non-negative decimal like `1.44` as the Double nearest to it (what the literal
    /// `1.44` is), up to the first character that is not part of it. Nil if there is no digit
    /// before or after a `.`, or the digits do not fit in 64 bits.
    mutating func exactDecimal() -> Double? {
        var i = offset
        var mantissa: UInt64 = 0
        var whole = 0, fraction = 0
        var sawPoint = false
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "."), !sawPoint {
                sawPoint = true
            } else if b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") {
                let (m, o1) = mantissa.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(UInt64(b - UInt8(ascii: "0")))
                if o1 || o2 { return nil }
                mantissa = a
                if sawPoint { fraction += 1 } else { whole += 1 }
            } else {
                break
            }
            i += 1
        }
        guard whole > 0, !sawPoint || fraction > 0 else { return nil }
        skip(i - offset)
        // 10^fraction (at most 10^19) is exact, and so is the mantissa below 2^53 (every value the
        // kernel prints): the quotient of two exact operands is correctly rounded.
        var scale = 1.0
        for _ in 0..<fraction { scale *= 10 }
        return Double(mantissa) / scale
    }
}
