/// /proc/net/dev: two header lines, then one line of counters per network interface.
///
///     Inter-|   Receive                                                |  Transmit
///      face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs ...
///         lo: 16944094   41793    0    0    0     0          0         0 16944094   41793    0 ...
///
/// Kernels since 2.6.x print `name: 123`; older ones printed `name:123`, and a counter wider
/// than its column still touches the colon there. The counters are raw totals since the
/// interface appeared (rates are computed elsewhere).

/// One interface's receive and transmit totals.
public struct NetDevCounters: Equatable, Sendable {
    /// The kernel's name (dev_valid_name: no `:`, `/` or whitespace, at most 15 bytes); dots
    /// (`eth0.100`), dashes and `@` are allowed.
    public var name: String
    public var rxBytes: UInt64
    public var rxPackets: UInt64
    public var txBytes: UInt64
    public var txPackets: UInt64

    public init(name: String, rxBytes: UInt64, rxPackets: UInt64, txBytes: UInt64, txPackets: UInt64) {
        self.name = name
        (self.rxBytes, self.rxPackets, self.txBytes, self.txPackets) = (rxBytes, rxPackets, txBytes, txPackets)
    }
}

/// Where the four counters sit among a row's numbers, from the column names in the header.
private struct NetDevColumns {
    var rxBytes = -1, rxPackets = -1, txBytes = -1, txPackets = -1
    /// Columns the header names; every row must have at least this many numbers.
    var count = 0
    /// Every kernel since 2.6 names 8 receive and 8 transmit columns.
    static let linuxColumns = 16
}

extension Parse {
    /// The interfaces in the kernel's order. The header is checked: the first line must start
    /// with `Inter-|` and the second must name the columns, `bytes` and `packets` among the
    /// receive ones and again among the transmit ones (found by name, so a column added by a
    /// later kernel does not shift them); extra numbers at the end of a row are ignored.
    public static func netDev(_ bytes: UnsafeRawBufferPointer, file: String = "net/dev") throws(ParseError) -> [NetDevCounters] {
        var s = Scanner(bytes)
        guard s.lineStarts(with: "Inter-|") else { throw ParseError(file, s, "missing header (\"Inter-|\")") }
        s.nextLine()
        guard s.line == 2 else { throw ParseError(file, s, "header ends without a newline (truncated read)") }
        let columns = try netDevColumns(&s, file: file)
        s.nextLine()
        var interfaces: [NetDevCounters] = []
        while !s.atEnd {
            s.skipSpaces()
            if s.atLineEnd { s.nextLine(); continue }
            // The name runs to the first ':' (names cannot contain one, nor whitespace).
            let nameStart = s.offset
            while !s.atTokenEnd, s.bytes[s.offset] != UInt8(ascii: ":") { s.skip(1) }
            let name = nameStart..<s.offset
            guard !name.isEmpty, s.expect(UInt8(ascii: ":")) else { throw ParseError(file, s, "expected \"interface:\"") }
            var row = NetDevCounters(name: "", rxBytes: 0, rxPackets: 0, txBytes: 0, txPackets: 0)
            var n = 0
            while true {
                s.skipSpaces()
                if s.atLineEnd { break }
                guard let v = s.unsigned(), s.atTokenEnd else { throw ParseError(file, s, "bad counter (column \(n + 1))") }
                switch n {
                case columns.rxBytes: row.rxBytes = v
                case columns.rxPackets: row.rxPackets = v
                case columns.txBytes: row.txBytes = v
                case columns.txPackets: row.txPackets = v
                default: break
                }
                n += 1
            }
            guard n >= columns.count else { throw ParseError(file, s, "\(n) counters, expected \(columns.count)") }
            guard s.atNewline else { throw ParseError(file, s, "line ends without a newline (truncated read)") }
            row.name = s.string(name)
            interfaces.append(row)
            s.nextLine()
        }
        return interfaces
    }

    /// The second header line: ` face |<receive names>|<transmit names>`. Leaves the scanner at
    /// its newline.
    private static func netDevColumns(_ s: inout Scanner, file: String) throws(ParseError) -> NetDevColumns {
        s.skipSpaces()
        guard s.lineStarts(with: "face |") else { throw ParseError(file, s, "second header line does not name the columns (\"face |\")") }
        s.skip(6)
        var c = NetDevColumns()
        var transmit = false
        while true {
            s.skipSpaces()
            if s.atLineEnd { break }
            if s.expect(UInt8(ascii: "|")) {
                guard !transmit else { throw ParseError(file, s, "a third column group in the header") }
                transmit = true
                continue
            }
            let start = s.offset
            while !s.atTokenEnd, s.bytes[s.offset] != UInt8(ascii: "|") { s.skip(1) }
            let word = start..<s.offset
            if s.text(word, is: "bytes") {
                if transmit, c.txBytes < 0 { c.txBytes = c.count } else if !transmit, c.rxBytes < 0 { c.rxBytes = c.count }
            } else if s.text(word, is: "packets") {
                if transmit, c.txPackets < 0 { c.txPackets = c.count } else if !transmit, c.rxPackets < 0 { c.rxPackets = c.count }
            }
            c.count += 1
        }
        guard c.rxBytes >= 0, c.rxPackets >= 0 else { throw ParseError(file, s, "header names no receive bytes and packets") }
        guard c.txBytes >= 0, c.txPackets >= 0 else { throw ParseError(file, s, "header names no transmit bytes and packets") }
        guard c.count >= NetDevColumns.linuxColumns else {
            throw ParseError(file, s, "header names \(c.count) columns, expected at least \(NetDevColumns.linuxColumns)")
        }
        guard s.atNewline else { throw ParseError(file, s, "header ends without a newline (truncated read)") }
        return c
    }
}
