/// Pure parsers for the /proc files procstream reads. Each takes the file's bytes and returns a
/// value or a `ParseError` naming the file and line; none touches the filesystem. Unknown keys
/// and extra columns are ignored: kernels add them.

/// Jiffies a CPU spent in each state since boot (/proc/stat `cpu` lines). Guest time is already
/// counted in user and nice, so it is left out of the total.
public struct CPUTimes: Equatable, Sendable {
    public var user: UInt64 = 0, nice: UInt64 = 0, system: UInt64 = 0, idle: UInt64 = 0
    public var iowait: UInt64 = 0, irq: UInt64 = 0, softirq: UInt64 = 0, steal: UInt64 = 0

    public init() {}

    public init(user: UInt64, nice: UInt64, system: UInt64, idle: UInt64, iowait: UInt64 = 0, irq: UInt64 = 0, softirq: UInt64 = 0, steal: UInt64 = 0) {
        (self.user, self.nice, self.system, self.idle) = (user, nice, system, idle)
        (self.iowait, self.irq, self.softirq, self.steal) = (iowait, irq, softirq, steal)
    }

    public var total: UInt64 { user &+ nice &+ system &+ idle &+ iowait &+ irq &+ softirq &+ steal }
    public var busy: UInt64 { total &- idle &- iowait }

    /// Percent of the time between `earlier` and `self` that was busy, 0...100. Each field's
    /// delta is taken on its own and saturates at zero: a counter may go backwards (per-CPU
    /// `iowait` does, proc(5); so does every field after a CPU hot-unplug or a reset), and one
    /// field going back must not count as another's time.
    public func busyPercent(since earlier: CPUTimes) -> Double {
        func delta(_ now: UInt64, _ then: UInt64) -> UInt64 { now > then ? now - then : 0 }
        let idleTime = delta(idle, earlier.idle) &+ delta(iowait, earlier.iowait)
        let busyTime = delta(user, earlier.user) &+ delta(nice, earlier.nice) &+ delta(system, earlier.system)
            &+ delta(irq, earlier.irq) &+ delta(softirq, earlier.softirq) &+ delta(steal, earlier.steal)
        let elapsed = Double(idleTime) + Double(busyTime)
        guard elapsed > 0 else { return 0 }
        return min(100, Double(busyTime) / elapsed * 100)
    }
}

/// One `cpuN` line: the kernel's CPU id and its times.
public struct CoreTimes: Equatable, Sendable {
    public var id: Int
    public var times: CPUTimes

    public init(id: Int, times: CPUTimes) {
        self.id = id
        self.times = times
    }
}

public struct CPUStat: Equatable, Sendable {
    public var total: CPUTimes
    /// The online cores in the kernel's order (ascending ids), each with its id: an offline core
    /// is absent from /proc/stat, so a position in this list is not a CPU id.
    public var cores: [CoreTimes]

    public init(total: CPUTimes, cores: [CoreTimes]) {
        self.total = total
        self.cores = cores
    }
}

public struct MemInfo: Equatable, Sendable {
    public var totalBytes: UInt64
    public var availableBytes: UInt64
    public var usedBytes: UInt64 { totalBytes >= availableBytes ? totalBytes - availableBytes : 0 }

    public init(totalBytes: UInt64, availableBytes: UInt64) {
        self.totalBytes = totalBytes
        self.availableBytes = availableBytes
    }
}

public struct LoadAvg: Equatable, Sendable {
    public var one: Double, five: Double, fifteen: Double
    /// Kernel scheduling entities (threads) currently runnable, and existing.
    public var runnable: UInt64, threads: UInt64

    public init(one: Double, five: Double, fifteen: Double, runnable: UInt64, threads: UInt64) {
        (self.one, self.five, self.fifteen, self.runnable, self.threads) = (one, five, fifteen, runnable, threads)
    }
}

/// The TCP counters of /proc/net/snmp that the TCP census reads.
public struct SnmpTCP: Equatable, Sendable {
    public enum Column: CaseIterable, Sendable {
        case activeOpens, passiveOpens, attemptFails, estabResets, currEstab, retransSegs
        var name: StaticString {
            switch self {
            case .activeOpens: "ActiveOpens"
            case .passiveOpens: "PassiveOpens"
            case .attemptFails: "AttemptFails"
            case .estabResets: "EstabResets"
            case .currEstab: "CurrEstab"
            case .retransSegs: "RetransSegs"
            }
        }
    }
    public var activeOpens: UInt64 = 0, passiveOpens: UInt64 = 0, attemptFails: UInt64 = 0
    public var estabResets: UInt64 = 0, currEstab: UInt64 = 0, retransSegs: UInt64 = 0

    public init() {}

    public subscript(column: Column) -> UInt64 {
        get {
            switch column {
            case .activeOpens: activeOpens
            case .passiveOpens: passiveOpens
            case .attemptFails: attemptFails
            case .estabResets: estabResets
            case .currEstab: currEstab
            case .retransSegs: retransSegs
            }
        }
        set {
            switch column {
            case .activeOpens: activeOpens = newValue
            case .passiveOpens: passiveOpens = newValue
            case .attemptFails: attemptFails = newValue
            case .estabResets: estabResets = newValue
            case .currEstab: currEstab = newValue
            case .retransSegs: retransSegs = newValue
            }
        }
    }
}

/// The `TCP:` line of /proc/net/sockstat (or `TCP6:` of sockstat6).
public struct SockstatTCP: Equatable, Sendable {
    public var inUse: UInt64
    public var timeWait: UInt64
    public init(inUse: UInt64, timeWait: UInt64) { (self.inUse, self.timeWait) = (inUse, timeWait) }
}

/// TCP sockets by state, in the kernel's order (include/net/tcp_states.h).
public struct TCPStates: Equatable, Sendable {
    public static let names = ["established", "syn_sent", "syn_recv", "fin_wait1", "fin_wait2", "time_wait",
                               "close", "close_wait", "last_ack", "listen", "closing", "new_syn_recv"]
    /// counts[state - 1] for kernel states 1...12.
    public var counts = [UInt64](repeating: 0, count: 12)
    /// Of the FIN_WAIT2 sockets, those already closed by their owner: the kernel keeps them as
    /// time-wait mini-sockets, and net/sockstat's `tw` counts them with TIME_WAIT.
    public var finWait2MiniSockets: UInt64 = 0

    public init() {}

    public var established: UInt64 {
        get { counts[0] }
        set { counts[0] = newValue }
    }
    public var timeWait: UInt64 {
        get { counts[5] }
        set { counts[5] = newValue }
    }
    public var closeWait: UInt64 { counts[7] }

    mutating func add(state: UInt64) -> Bool {
        guard state >= 1, state <= 12 else { return false }
        counts[Int(state) - 1] += 1
        return true
    }
}

public enum Parse {
    public static func stat(_ bytes: UnsafeRawBufferPointer, file: String = "stat") throws(ParseError) -> CPUStat {
        var s = Scanner(bytes)
        var total: CPUTimes?
        var cores: [CoreTimes] = []
        while !s.atEnd {
            if s.lineStarts(with: "cpu") {
                s.skip(3)
                let isTotal = s.lineStarts(with: " ")
                var id = 0
                if !isTotal {
                    guard let n = s.unsigned(), n <= 1 << 20, s.lineStarts(with: " ") else { throw ParseError(file, s, "bad cpu line") }
                    id = Int(n)
                    if let last = cores.last, id <= last.id { throw ParseError(file, s, "cpu\(id) after cpu\(last.id)") }
                }
                var f = [UInt64](repeating: 0, count: 8)
                var n = 0
                while n < 8, !s.atLineEnd {
                    guard let v = s.unsigned() else { break }
                    f[n] = v
                    n += 1
                    s.skipSpaces()
                }
                // Kernels before 2.6 had 4 columns; anything less is truncated or not /proc/stat.
                guard n >= 4 else { throw ParseError(file, s, "cpu line has \(n) numeric fields, expected at least 4") }
                let t = CPUTimes(user: f[0], nice: f[1], system: f[2], idle: f[3], iowait: f[4], irq: f[5], softirq: f[6], steal: f[7])
                if isTotal { total = t } else { cores.append(CoreTimes(id: id, times: t)) }
            }
            s.nextLine()
        }
        guard let total else { throw ParseError(file: file, line: s.line, message: "no \"cpu \" line") }
        return CPUStat(total: total, cores: cores)
    }

    public static func meminfo(_ bytes: UnsafeRawBufferPointer, file: String = "meminfo") throws(ParseError) -> MemInfo {
        var s = Scanner(bytes)
        var total: UInt64?
        var available: UInt64?
        while !s.atEnd, total == nil || available == nil {
            if s.lineStarts(with: "MemTotal:") {
                s.skip(9)
                guard let v = s.unsigned() else { throw ParseError(file, s, "bad MemTotal") }
                total = v
            } else if s.lineStarts(with: "MemAvailable:") {
                s.skip(13)
                guard let v = s.unsigned() else { throw ParseError(file, s, "bad MemAvailable") }
                available = v
            }
            s.nextLine()
        }
        guard let total else { throw ParseError(file: file, line: s.line, message: "no MemTotal") }
        guard let available else { throw ParseError(file: file, line: s.line, message: "no MemAvailable (kernel before 3.14?)") }
        // Values are in kB (really KiB); refuse ones that would overflow bytes.
        guard total <= UInt64.max / 1024, available <= UInt64.max / 1024 else {
            throw ParseError(file: file, line: 1, message: "value out of range")
        }
        return MemInfo(totalBytes: total * 1024, availableBytes: available * 1024)
    }

    /// `0.12 0.07 0.02 1/79 2012`
    public static func loadavg(_ bytes: UnsafeRawBufferPointer, file: String = "loadavg") throws(ParseError) -> LoadAvg {
        var s = Scanner(bytes)
        guard let one = s.decimal(), let five = s.decimal(), let fifteen = s.decimal() else {
            throw ParseError(file, s, "expected three load averages")
        }
        guard let runnable = s.unsigned(), s.expect(UInt8(ascii: "/")), let threads = s.unsigned() else {
            throw ParseError(file, s, "expected runnable/threads")
        }
        return LoadAvg(one: one, five: five, fifteen: fifteen, runnable: runnable, threads: threads)
    }

    /// `12345.67 23456.78`: seconds since boot.
    public static func uptime(_ bytes: UnsafeRawBufferPointer, file: String = "uptime") throws(ParseError) -> Double {
        var s = Scanner(bytes)
        guard let up = s.decimal() else { throw ParseError(file, s, "expected seconds since boot") }
        return up
    }

    /// The `Tcp:` lines of /proc/net/snmp (IPv4 and IPv6 together): CurrEstab, the kernel's O(1)
    /// count of connections in ESTABLISHED (and, on kernels following RFC 1213, CLOSE-WAIT), and
    /// the counters that move whenever a connection starts, fails, ends or retransmits.
    public static func snmpTCP(_ bytes: UnsafeRawBufferPointer, file: String = "net/snmp") throws(ParseError) -> SnmpTCP {
        var s = Scanner(bytes)
        while !s.atEnd {
            if s.lineStarts(with: "Tcp:") {
                // Header line of names, then a line of values in the same order.
                s.skip(4)
                var columns: [SnmpTCP.Column?] = []
                while !s.atLineEnd {
                    guard let name = s.token() else { break }
                    columns.append(SnmpTCP.Column.allCases.first { s.text(name, is: $0.name) })
                }
                guard columns.contains(.currEstab) else { throw ParseError(file, s, "no CurrEstab column") }
                s.nextLine()
                guard s.lineStarts(with: "Tcp:") else { throw ParseError(file, s, "no Tcp: values line") }
                s.skip(4)
                var tcp = SnmpTCP()
                for column in columns {
                    s.skipSpaces()
                    guard !s.atLineEnd else { throw ParseError(file, s, "Tcp: values line too short") }
                    guard let column else { _ = s.skipToken(); continue }
                    // Stored signed in the kernel (CurrEstab can be read mid-update; MaxConn is -1):
                    // a negative value is 0.
                    if s.expect(UInt8(ascii: "-")) {
                        guard s.unsigned() != nil else { throw ParseError(file, s, "bad \(column.name) value") }
                        continue
                    }
                    guard let value = s.unsigned(), s.atTokenEnd else { throw ParseError(file, s, "bad \(column.name) value") }
                    tcp[column] = value
                }
                return tcp
            }
            s.nextLine()
        }
        throw ParseError(file: file, line: s.line, message: "no Tcp: lines")
    }

    /// The `TCP:` line of /proc/net/sockstat (`TCP6:` of sockstat6 with `line: "TCP6:"`):
    /// `inuse`, the sockets in the kernel's hash tables (listeners and every full socket in the
    /// established hash, of that address family), and `tw`, the time-wait mini-sockets of both
    /// families (sockstat6 has no `tw`: 0).
    public static func sockstatTCP(_ bytes: UnsafeRawBufferPointer, file: String = "net/sockstat", line: StaticString = "TCP:") throws(ParseError) -> SockstatTCP {
        var s = Scanner(bytes)
        while !s.atEnd {
            if s.lineStarts(with: line) {
                _ = s.skipToken()
                var result = SockstatTCP(inUse: 0, timeWait: 0)
                var sawInUse = false
                while !s.atLineEnd {
                    guard let key = s.token() else { break }
                    s.skipSpaces()
                    guard let value = s.unsigned(), s.atTokenEnd else { throw ParseError(file, s, "bad \(s.string(key)) value") }
                    if s.text(key, is: "inuse") { result.inUse = value; sawInUse = true }
                    if s.text(key, is: "tw") { result.timeWait = value }
                }
                guard sawInUse else { throw ParseError(file, s, "no inuse field") }
                return result
            }
            s.nextLine()
        }
        throw ParseError(file: file, line: s.line, message: "no \(line) line")
    }

    /// Counts sockets by state in /proc/net/tcp or tcp6 and adds them to `states`. The header
    /// line is checked; each row's fourth column is the state in hex.
    public static func netTCP(_ bytes: UnsafeRawBufferPointer, into states: inout TCPStates, file: String = "net/tcp") throws(ParseError) {
        var s = Scanner(bytes)
        s.skipSpaces()
        guard s.lineStarts(with: "sl") else { throw ParseError(file, s, "missing header") }
        s.nextLine()
        var counts = states
        while !s.atEnd {
            s.skipSpaces()
            if s.atLineEnd { s.nextLine(); continue }
            // "0: 0100007F:0CF6 00000000:0000 0A ..."
            guard s.unsigned() != nil, s.expect(UInt8(ascii: ":")),
                  s.skipToken(), s.skipToken(), let state = s.hex(), counts.add(state: state) else {
                throw ParseError(file, s, "bad socket row")
            }
            s.nextLine()
        }
        states = counts
    }
}
