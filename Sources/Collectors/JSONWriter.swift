/// Appends JSON to a byte buffer without intermediate strings: the snapshot is encoded once per
/// tick and this is on that path.
public struct JSONWriter {
    public var bytes: [UInt8]
    private var needsComma = false

    public init(into bytes: [UInt8] = []) { self.bytes = bytes }

    public mutating func beginObject() { separator(); bytes.append(UInt8(ascii: "{")); needsComma = false }
    public mutating func endObject() { bytes.append(UInt8(ascii: "}")); needsComma = true }
    public mutating func beginArray() { separator(); bytes.append(UInt8(ascii: "[")); needsComma = false }
    public mutating func endArray() { bytes.append(UInt8(ascii: "]")); needsComma = true }

    /// A key; names are ours and never need escaping.
    public mutating func key(_ name: String) {
        separator()
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: name.utf8)
        bytes.append(contentsOf: "\":".utf8)
        needsComma = false
    }

    public mutating func null() { separator(); bytes.append(contentsOf: "null".utf8); needsComma = true }

    public mutating func string(_ value: String) {
        separator()
        bytes.append(UInt8(ascii: "\""))
        for b in value.utf8 {
            switch b {
            case UInt8(ascii: "\""): bytes.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): bytes.append(contentsOf: "\\\\".utf8)
            case 0x0a: bytes.append(contentsOf: "\\n".utf8)
            case 0x0d: bytes.append(contentsOf: "\\r".utf8)
            case 0x09: bytes.append(contentsOf: "\\t".utf8)
            case 0..<0x20, 0x7f:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: "\\u00".utf8)
                bytes.append(hex[Int(b >> 4)])
                bytes.append(hex[Int(b & 0xf)])
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    public mutating func integer<T: BinaryInteger>(_ value: T) {
        separator()
        appendDigits(value)
        needsComma = true
    }

    /// A non-negative-or-negative number with exactly `decimals` digits after the point
    /// (rounded half away from zero); NaN and infinities become null.
    public mutating func fixed(_ value: Double, decimals: Int) {
        guard value.isFinite, abs(value) < 1e15 else { null(); return }
        separator()
        var scale: Int64 = 1
        for _ in 0..<decimals { scale *= 10 }
        let scaled = Int64((abs(value) * Double(scale)).rounded())
        if value < 0 && scaled != 0 { bytes.append(UInt8(ascii: "-")) }
        appendDigits(scaled / scale)
        if decimals > 0 {
            bytes.append(UInt8(ascii: "."))
            var frac = scaled % scale
            var divisor = scale / 10
            while divisor > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8(frac / divisor))
                frac %= divisor
                divisor /= 10
            }
        }
        needsComma = true
    }

    /// Raw, already-valid JSON.
    public mutating func raw(_ json: [UInt8]) { separator(); bytes.append(contentsOf: json); needsComma = true }

    private mutating func separator() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    private mutating func appendDigits<T: BinaryInteger>(_ value: T) {
        if value < 0 {
            bytes.append(UInt8(ascii: "-"))
            appendDigits(UInt64(value.magnitude))
            return
        }
        var v = UInt64(value)
        var tmp: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                  UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &tmp) { digits in
            repeat {
                digits[n] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
                n += 1
            } while v > 0
            for i in stride(from: n - 1, through: 0, by: -1) { bytes.append(digits[i]) }
        }
    }
}

/// RFC 3339 UTC timestamps with milliseconds, from Unix epoch milliseconds, without libc's
/// locale-aware time functions (Howard Hinnant's civil-from-days).
public enum Timestamp {
    public static func rfc3339(millis: Int64) -> String {
        let ms = Int(((millis % 1000) + 1000) % 1000)
        let seconds = (millis - Int64(ms)) / 1000
        let days = Int(seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400)
        let secondOfDay = Int(seconds - Int64(days) * 86400)
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T" + pad(secondOfDay / 3600, 2) + ":"
            + pad(secondOfDay / 60 % 60, 2) + ":" + pad(secondOfDay % 60, 2) + "." + pad(ms, 3) + "Z"
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let s = String(value)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
