/// Pure parsers for the per-cgroup files procstream reads for systemd units, cgroup v2 (the
/// unified hierarchy) and v1 (the controller hierarchies of hybrid and legacy hosts). Same rules
/// as the /proc parsers: bytes in, a value or a `ParseError` naming the file and line out,
/// unknown keys ignored, overflow an error.
///
/// A cgroup file is empty, not missing, when it is read while the cgroup is being removed (the
/// kernel may return no bytes for an open file of a dead cgroup): that is an error here, which
/// the collector reports as the unit's null figure. `max` only appears in limit files
/// (`memory.max`, `pids.max`, `cpu.max`, `cgroup.max.depth`); none of the counters below ever
/// prints it, so it is rejected like any other word.
///
/// Units: v2 CPU is in microseconds (`usage_usec`), v1 `cpuacct.usage` in nanoseconds (use
/// `cpuacctUsageMicroseconds` to get the same unit); memory and IO in bytes; PSI totals in µs.

/// Bytes read and written over all devices: v2 `io.stat`, v1 `blkio.*io_service_bytes*`.
public struct CgroupIO: Equatable, Sendable {
    public var readBytes: UInt64
    public var writeBytes: UInt64

    public init(readBytes: UInt64, writeBytes: UInt64) {
        self.readBytes = readBytes
        self.writeBytes = writeBytes
    }
}

/// The `some` line of a cgroup's `cpu.pressure`, `memory.pressure` or `io.pressure`: the share
/// of the last 10 s in which at least one task of the cgroup stalled (percent, 0...100), and the
/// total stall time since the cgroup was created (µs). A cgroup-only twin of /proc/pressure
/// parsing, kept separate so that the two can be merged without touching each other's callers.
public struct CgroupPressure: Equatable, Sendable {
    public var avg10: Double
    public var totalMicroseconds: UInt64

    public init(avg10: Double, totalMicroseconds: UInt64) {
        self.avg10 = avg10
        self.totalMicroseconds = totalMicroseconds
    }
}

/// v1 `memory.stat`, the two anonymous-memory figures. Its plain keys (`rss`, `cache`, …) count
/// the cgroup's own pages only; the `total_*` keys are hierarchical (the cgroup and all its
/// descendants), like every v2 counter and like v1 `memory.usage_in_bytes` (hierarchical since
/// `memory.use_hierarchy` became always-on). So `totalRSSBytes` is what means the same as v2
/// `anon` for a unit with children (`user@1000.service`, a delegated scope); `rssBytes` is the
/// unit's own and equals it for a leaf unit. systemd itself shows neither: its "Memory:" on v1
/// is `memory.usage_in_bytes` (v2: `memory.current`).
public struct CgroupV1MemoryStat: Equatable, Sendable {
    public var rssBytes: UInt64
    /// Nil when the kernel printed no `total_rss` line (kernels before hierarchical stats).
    public var totalRSSBytes: UInt64?

    public init(rssBytes: UInt64, totalRSSBytes: UInt64?) {
        self.rssBytes = rssBytes
        self.totalRSSBytes = totalRSSBytes
    }
}

extension Scanner {
    /// After optional blanks: nothing but the line's end (or the file's end).
    mutating func atLineEndAfterSpaces() -> Bool {
        skipSpaces()
        return atLineEnd
    }

    /// A device `MAJ:MIN` followed by a blank.
    mutating func device() -> Bool {
        guard unsigned() != nil, expect(UInt8(ascii: ":")), unsigned() != nil else { return false }
        return lineStarts(with: " ") || lineStarts(with: "\t")
    }

    /// Skips blank lines; false at the file's end.
    mutating func nextNonBlankLine() -> Bool {
        while !atEnd {
            skipSpaces()
            if !atLineEnd { return true }
            nextLine()
        }
        return false
    }
}

extension Scanner {
    /// Skips `word` if the bytes at the cursor are exactly it.
    mutating func skipLiteral(_ word: StaticString) -> Bool {
        guard lineStarts(with: word) else { return false }
        skip(word.utf8CodeUnitCount)
        return true
    }

    var atDigit: Bool { offset < bytes.count && bytes[offset] >= UInt8(ascii: "0") && bytes[offset] <= UInt8(ascii: "9") }

    /// A PSI `some` line exactly as the kernel prints it (`some avg10=%lu.%02lu avg60=… avg300=…
    /// total=%llu` and its newline), the cursor left at the newline; nil, with the cursor where
    /// it was, for anything else (the general parser then decides). The values are what the
    /// general parser reads from the same line.
    mutating func kernelSomeLine() -> PressureStall? {
        var t = self
        guard t.skipLiteral("some avg10="), t.atDigit, let avg10 = t.exactDecimal(),
              t.skipLiteral(" avg60="), t.atDigit, let avg60 = t.exactDecimal(),
              t.skipLiteral(" avg300="), t.atDigit, let avg300 = t.exactDecimal(),
              t.skipLiteral(" total="), t.atDigit, let total = t.unsigned(), t.atNewline else { return nil }
        self = t
        return PressureStall(avg10: avg10, avg60: avg60, avg300: avg300, totalMicros: total)
    }
}

extension Parse {
    /// One unsigned integer and an optional newline: v2 `memory.current`, `pids.current`; v1
    /// `memory.usage_in_bytes`, `pids.current`, `cpuacct.usage` (nanoseconds).
    public static func cgroupValue(_ bytes: UnsafeRawBufferPointer, file: String) throws(ParseError) -> UInt64 {
        var s = Scanner(bytes)
        if s.atEnd { throw ParseError(file: file, line: 1, message: "empty file (cgroup being removed?)") }
        guard let value = s.unsigned() else { throw ParseError(file, s, "expected one unsigned integer") }
        guard s.atLineEndAfterSpaces() else { throw ParseError(file, s, "unexpected text after the value") }
        s.nextLine()
        guard !s.nextNonBlankLine() else { throw ParseError(file, s, "unexpected second line") }
        return value
    }

    /// v1 `cpuacct.usage` (ns) in microseconds, the unit of v2 `usage_usec`. Truncating keeps
    /// the counter monotonic.
    public static func cpuacctUsageMicroseconds(_ bytes: UnsafeRawBufferPointer, file: String = "cpuacct.usage") throws(ParseError) -> UInt64 {
        try cgroupValue(bytes, file: file) / 1000
    }

    /// v2 `cpu.stat`: `usage_usec N` (µs of CPU since the cgroup was created, user and system,
    /// its descendants included). Present in every cgroup, controller enabled or not.
    public static func cgroupCPUUsage(_ bytes: UnsafeRawBufferPointer, file: String = "cpu.stat") throws(ParseError) -> UInt64 {
        try keyedValue(bytes, key: "usage_usec ", file: file)
    }

    /// v2 `memory.stat`: `anon N`, anonymous memory in bytes (hierarchical).
    public static func cgroupMemoryAnon(_ bytes: UnsafeRawBufferPointer, file: String = "memory.stat") throws(ParseError) -> UInt64 {
        try keyedValue(bytes, key: "anon ", file: file)
    }

    /// v1 `memory.stat`: `rss N` (required) and `total_rss N` (if printed).
    public static func cgroupV1MemoryStat(_ bytes: UnsafeRawBufferPointer, file: String = "memory.stat") throws(ParseError) -> CgroupV1MemoryStat {
        var s = Scanner(bytes)
        if s.atEnd { throw ParseError(file: file, line: 1, message: "empty file (cgroup being removed?)") }
        var rss: UInt64?
        var total: UInt64?
        while !s.atEnd, rss == nil || total == nil {
            if rss == nil, s.lineStarts(with: "rss ") {
                s.skip(4)
                guard let v = s.unsigned(), s.atLineEndAfterSpaces() else { throw ParseError(file, s, "bad rss value") }
                rss = v
            } else if total == nil, s.lineStarts(with: "total_rss ") {
                s.skip(10)
                guard let v = s.unsigned(), s.atLineEndAfterSpaces() else { throw ParseError(file, s, "bad total_rss value") }
                total = v
            }
            s.nextLine()
        }
        guard let rss else { throw ParseError(file: file, line: s.line, message: "no rss line") }
        return CgroupV1MemoryStat(rssBytes: rss, totalRSSBytes: total)
    }

    /// The value of the first line starting with `key` (which ends in a blank).
    static func keyedValue(_ bytes: UnsafeRawBufferPointer, key: StaticString, file: String) throws(ParseError) -> UInt64 {
        var s = Scanner(bytes)
        if s.atEnd { throw ParseError(file: file, line: 1, message: "empty file (cgroup being removed?)") }
        // For error messages only: the key without its blank.
        var name: String { String(decoding: UnsafeRawBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount - 1), as: UTF8.self) }
        while !s.atEnd {
            if s.lineStarts(with: key) {
                s.skip(key.utf8CodeUnitCount)
                guard let v = s.unsigned(), s.atLineEndAfterSpaces() else { throw ParseError(file, s, "bad \(name) value") }
                return v
            }
            s.nextLine()
        }
        throw ParseError(file: file, line: s.line, message: "no \(name) line")
    }

    /// v2 `io.stat`: one line per device with IO, `MAJ:MIN rbytes=N wbytes=N rios=N wios=N
    /// dbytes=N dios=N` (keys in any order; iocost and iolatency add others, ignored), summed
    /// over devices. An empty file is valid: no device has seen IO from this cgroup.
    public static func cgroupIOStat(_ bytes: UnsafeRawBufferPointer, file: String = "io.stat") throws(ParseError) -> CgroupIO {
        var s = Scanner(bytes)
        var read: UInt64 = 0
        var write: UInt64 = 0
        while s.nextNonBlankLine() {
            guard s.device() else { throw ParseError(file, s, "expected MAJ:MIN") }
            while !s.atLineEndAfterSpaces() {
                let isRead = s.lineStarts(with: "rbytes=")
                if isRead || s.lineStarts(with: "wbytes=") {
                    s.skip(7)
                    guard let v = s.unsigned(), s.atTokenEnd else { throw ParseError(file, s, "bad \(isRead ? "rbytes" : "wbytes") value") }
                    let (sum, overflow) = (isRead ? read : write).addingReportingOverflow(v)
                    if overflow { throw ParseError(file, s, "byte count overflows") }
                    if isRead { read = sum } else { write = sum }
                } else {
                    _ = s.skipToken()
                }
            }
            s.nextLine()
        }
        return CgroupIO(readBytes: read, writeBytes: write)
    }

    /// v1 `blkio.throttle.io_service_bytes` (and its `_recursive` twin, and CFQ's or BFQ's
    /// `blkio[.bfq].io_service_bytes[_recursive]`, all the same format): per device `MAJ:MIN Read
    /// N`, `Write`, `Sync`, `Async`, `Discard` (4.19+), `Total` lines, then a final `Total N`.
    /// Read and Write are summed over devices; the final line must be there (a file without it is
    /// truncated or empty).
    public static func blkioServiceBytes(_ bytes: UnsafeRawBufferPointer, file: String = "blkio.throttle.io_service_bytes") throws(ParseError) -> CgroupIO {
        var s = Scanner(bytes)
        var read: UInt64 = 0
        var write: UInt64 = 0
        var sawTotal = false
        while s.nextNonBlankLine() {
            if s.lineStarts(with: "Total ") {
                s.skip(6)
                guard s.unsigned() != nil, s.atLineEndAfterSpaces() else { throw ParseError(file, s, "bad Total line") }
                sawTotal = true
            } else {
                guard s.device() else { throw ParseError(file, s, "expected MAJ:MIN or Total") }
                s.skipSpaces()
                let isRead = s.lineStarts(with: "Read ")
                let isWrite = !isRead && s.lineStarts(with: "Write ")
                guard s.skipToken(), let v = s.unsigned(), s.atLineEndAfterSpaces() else {
                    throw ParseError(file, s, "expected an operation and a byte count")
                }
                if isRead || isWrite {
                    let (sum, overflow) = (isRead ? read : write).addingReportingOverflow(v)
                    if overflow { throw ParseError(file, s, "byte count overflows") }
                    if isRead { read = sum } else { write = sum }
                }
            }
            s.nextLine()
        }
        guard sawTotal else { throw ParseError(file: file, line: s.line, message: "no final Total line (empty or truncated)") }
        return CgroupIO(readBytes: read, writeBytes: write)
    }

    /// A cgroup PSI file's `some avg10=A avg60=B avg300=C total=N` line (the `full` line that
    /// follows, when there is one, is ignored). `avg10` and `total` are required.
    public static func cgroupPressureSome(_ bytes: UnsafeRawBufferPointer, file: String = "cpu.pressure") throws(ParseError) -> CgroupPressure {
        // The same format as /proc/pressure: one line parser for both. The kernel prints `some`
        // first; then only that line is parsed (the `full` line is not needed) and the rest is
        // only checked for a second `some`. Anything else takes the whole-file parser.
        var s = Scanner(bytes)
        guard s.lineStarts(with: "some ") else {
            let p = try Parse.pressure(bytes, file: file)
            return CgroupPressure(avg10: p.some.avg10, totalMicroseconds: p.some.totalMicros)
        }
        let some: PressureStall
        if let exact = s.kernelSomeLine() {
            some = exact
        } else {
            s.skip(5)
            some = try pressureStall(&s, file: file)
        }
        s.nextLine()
        while !s.atEnd {
            if let kind = s.token(), s.text(kind, is: "some") { throw ParseError(file, s, "a second \"some\" line") }
            s.nextLine()
        }
        return CgroupPressure(avg10: some.avg10, totalMicroseconds: some.totalMicros)
    }
}
