// libFuzzer target for the /proc parsers (Sources/ProcParsers: Parsers.swift, PressureParser.swift,
// NetDevParser.swift, DiskstatsParser.swift) and the sock_diag reply parser
// (Sources/ProcParsers/SockDiag.swift).
//
// Input layout: the first byte selects the parser (value % 11), the rest is the file or datagram:
//   0 /proc/stat   1 /proc/meminfo   2 /proc/loadavg   3 /proc/uptime   4 /proc/net/tcp{,6}
//   5 a NETLINK_SOCK_DIAG reply datagram (sequence number 7)   6 /proc/net/snmp
//   7 /proc/net/sockstat   8 /proc/pressure/*   9 /proc/net/dev   10 /proc/diskstats
// New parsers take the next selector values, so the seeds of the older ones keep their meaning.
// A first byte of 0x80 or more selects the cgroup parsers instead (see the end of the file).
// Parsers may throw on anything, but must not crash, and what they return must be sane; the
// fuzzer traps (a crash for libFuzzer) when an invariant fails.
import ProcParsers

enum Selector: UInt8, CaseIterable {
    case stat, meminfo, loadavg, uptime, netTCP, sockDiag, snmp, sockstat, pressure, netDev, diskstats
}

/// The sequence number the sock_diag seeds carry.
let diagSequence: UInt32 = 7

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    if data[0] >= 0x80 {   // the cgroup block at the end of this file
        fuzzCgroup(data[0] - 0x80, UnsafeRawBufferPointer(start: data + 1, count: size - 1))
        return 0
    }
    let selector = Selector(rawValue: data[0] % UInt8(Selector.allCases.count))!
    let bytes = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    switch selector {
    case .stat: fuzzStat(bytes)
    case .meminfo: fuzzMeminfo(bytes)
    case .loadavg: fuzzLoadavg(bytes)
    case .uptime: fuzzUptime(bytes)
    case .netTCP: fuzzNetTCP(bytes)
    case .sockDiag: fuzzSockDiag(bytes)
    case .snmp: fuzzSnmp(bytes)
    case .sockstat: fuzzSockstat(bytes)
    case .pressure: fuzzPressure(bytes)
    case .netDev: fuzzNetDev(bytes)
    case .diskstats: fuzzDiskstats(bytes)
    }
    return 0
}

/// Fails the fuzz run (libFuzzer records the input as a crash).
func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
             file: StaticString = #file, line: UInt = #line) {
    if !condition() { fatalError("invariant violated: \(message())", file: file, line: line) }
}

func lineCount(_ bytes: UnsafeRawBufferPointer) -> Int {
    1 + bytes.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
}

func checkError(_ error: ParseError, _ bytes: UnsafeRawBufferPointer, file: String) {
    require(error.file == file, "error names file \(error.file), expected \(file)")
    require(error.line >= 1 && error.line <= lineCount(bytes), "error on line \(error.line) of \(lineCount(bytes))")
    _ = error.description
}

// MARK: /proc/stat

func fuzzStat(_ bytes: UnsafeRawBufferPointer) {
    // Parse the whole input and, split at a point taken from its first byte, each half: that
    // gives several independently parsed snapshots to compare with one another.
    var times: [CPUTimes] = []
    var parts = [bytes]
    if let first = bytes.first, bytes.count >= 2 {
        let cut = 1 + Int(first) % (bytes.count - 1)
        parts.append(UnsafeRawBufferPointer(rebasing: bytes[..<cut]))
        parts.append(UnsafeRawBufferPointer(rebasing: bytes[cut...]))
    }
    for part in parts {
        do {
            let stat = try Parse.stat(part)
            require(stat.cores.count < lineCount(part), "\(stat.cores.count) cores from \(lineCount(part)) lines")
            times.append(stat.total)
            times.append(contentsOf: stat.cores.prefix(7).map(\.times))
            require(zip(stat.cores, stat.cores.dropFirst()).allSatisfy { $0.id < $1.id }, "core ids not ascending: \(stat.cores.map(\.id))")
        } catch {
            checkError(error, part, file: "stat")
        }
    }
    for a in times {
        require(a.busyPercent(since: a) == 0, "busy \(a.busyPercent(since: a))% with no time passed: \(a)")
        for b in times {
            let p = a.busyPercent(since: b)
            require(p >= 0 && p <= 100, "busyPercent \(p) for \(a) since \(b)")
        }
    }
}

// MARK: /proc/meminfo

func fuzzMeminfo(_ bytes: UnsafeRawBufferPointer) {
    do {
        let m = try Parse.meminfo(bytes)
        require(m.usedBytes <= m.totalBytes, "used \(m.usedBytes) > total \(m.totalBytes)")
        require(m.totalBytes % 1024 == 0 && m.availableBytes % 1024 == 0, "not whole KiB: \(m)")
    } catch {
        checkError(error, bytes, file: "meminfo")
    }
}

// MARK: /proc/loadavg, /proc/uptime

func fuzzLoadavg(_ bytes: UnsafeRawBufferPointer) {
    do {
        let l = try Parse.loadavg(bytes)
        for v in [l.one, l.five, l.fifteen] {
            require(v.isFinite && v >= 0, "load average \(v)")
        }
    } catch {
        checkError(error, bytes, file: "loadavg")
    }
}

func fuzzUptime(_ bytes: UnsafeRawBufferPointer) {
    do {
        let up = try Parse.uptime(bytes)
        require(up.isFinite && up >= 0, "uptime \(up)")
    } catch {
        checkError(error, bytes, file: "uptime")
    }
}

// MARK: /proc/net/snmp, /proc/net/sockstat

func fuzzSnmp(_ bytes: UnsafeRawBufferPointer) {
    do {
        _ = try Parse.snmpTCP(bytes)
    } catch {
        checkError(error, bytes, file: "net/snmp")
    }
}

func fuzzSockstat(_ bytes: UnsafeRawBufferPointer) {
    do {
        _ = try Parse.sockstatTCP(bytes)
    } catch {
        checkError(error, bytes, file: "net/sockstat")
    }
    do {
        _ = try Parse.sockstatTCP(bytes, file: "net/sockstat6", line: "TCP6:")
    } catch {
        checkError(error, bytes, file: "net/sockstat6")
    }
}

// MARK: /proc/pressure/*, /proc/net/dev, /proc/diskstats

/// Lines that end with a newline: every record these parsers return was one of them.
func terminatedLines(_ bytes: UnsafeRawBufferPointer) -> Int {
    bytes.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
}

func isSpace(_ b: UInt8) -> Bool { b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") || b == UInt8(ascii: "\n") }

func fuzzPressure(_ bytes: UnsafeRawBufferPointer) {
    do {
        let p = try Parse.pressure(bytes, file: "pressure/io")
        require(terminatedLines(bytes) >= (p.full == nil ? 1 : 2), "some/full lines from \(terminatedLines(bytes)) lines")
        for stall in [p.some] + (p.full.map { [$0] } ?? []) {
            for v in [stall.avg10, stall.avg60, stall.avg300] {
                require(v.isFinite && v >= 0, "average \(v) in \(stall)")
            }
        }
    } catch {
        checkError(error, bytes, file: "pressure/io")
    }
}

func fuzzNetDev(_ bytes: UnsafeRawBufferPointer) {
    do {
        let interfaces = try Parse.netDev(bytes)
        // Two header lines, then one line per interface.
        require(interfaces.count <= terminatedLines(bytes) - 2, "\(interfaces.count) interfaces from \(terminatedLines(bytes)) lines")
        for i in interfaces {
            require(!i.name.isEmpty, "empty interface name")
            require(!i.name.utf8.contains { $0 == UInt8(ascii: ":") || isSpace($0) }, "name \(i.name) has ':' or whitespace")
        }
    } catch {
        checkError(error, bytes, file: "net/dev")
    }
}

/// node_exporter's `^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$`, the other way round from
/// Parse.isWholeDisk: each alternative ends in a non-digit, so a match is the whole trailing run
/// of digits (at least one) after a prefix that is one of the alternatives.
func defaultExcludeMatches(_ name: [UInt8]) -> Bool {
    func digit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
    func lower(_ b: UInt8) -> Bool { b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z") }
    var cut = name.count
    while cut > 0, digit(name[cut - 1]) { cut -= 1 }
    guard cut < name.count else { return false }
    let p = Array(name[..<cut])
    if [Array("ram".utf8), Array("zram".utf8), Array("loop".utf8), Array("fd".utf8)].contains(p) { return true }
    if p.count == 3, [UInt8(ascii: "h"), UInt8(ascii: "s"), UInt8(ascii: "v")].contains(p[0]), p[1] == UInt8(ascii: "d"), lower(p[2]) { return true }
    if p.count == 4, p[0] == UInt8(ascii: "x"), p[1] == UInt8(ascii: "v"), p[2] == UInt8(ascii: "d"), lower(p[3]) { return true }
    // nvme<digits>n<digits>p
    guard p.count >= 8, Array(p[..<4]) == Array("nvme".utf8), p.last == UInt8(ascii: "p") else { return false }
    let middle = p[4..<(p.count - 1)]
    guard let n = middle.firstIndex(of: UInt8(ascii: "n")) else { return false }
    let controller = middle[..<n], namespace = middle[(n + 1)...]
    return !controller.isEmpty && !namespace.isEmpty && controller.allSatisfy(digit) && namespace.allSatisfy(digit)
}

func fuzzDiskstats(_ bytes: UnsafeRawBufferPointer) {
    // The matcher against the independent one above, on every whitespace-separated token of the
    // input (names and numbers alike) and on the input's first line as one name.
    var tokens = bytes.split(whereSeparator: isSpace).prefix(64).map { Array($0) }
    tokens.append(Array(bytes.prefix { $0 != UInt8(ascii: "\n") }.prefix(40)))
    for token in tokens {
        let name = String(decoding: token, as: UTF8.self)
        require(Parse.isWholeDisk(name) == !defaultExcludeMatches(Array(name.utf8)), "isWholeDisk(\(name.debugDescription))")
    }
    do {
        let disks = try Parse.diskstats(bytes)
        require(disks.count <= terminatedLines(bytes), "\(disks.count) devices from \(terminatedLines(bytes)) lines")
        for d in disks {
            require(!d.name.isEmpty && !d.name.utf8.contains(where: isSpace), "device name \(d.name.debugDescription)")
            require(Parse.isWholeDisk(d.name) == !defaultExcludeMatches(Array(d.name.utf8)), "isWholeDisk(\(d.name.debugDescription))")
        }
    } catch {
        checkError(error, bytes, file: "diskstats")
    }
}

// MARK: /proc/net/tcp

/// Rows the parser must count if it accepts the file: every line after the header with
/// something other than blanks on it.
func nonBlankRowsAfterHeader(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    var rows: UInt64 = 0
    var line = 0
    var blank = true
    for b in bytes {
        if b == UInt8(ascii: "\n") {
            if line > 0 && !blank { rows += 1 }
            line += 1
            blank = true
        } else if b != UInt8(ascii: " ") && b != UInt8(ascii: "\t") {
            blank = false
        }
    }
    if line > 0 && !blank { rows += 1 }
    return rows
}

func fuzzNetTCP(_ bytes: UnsafeRawBufferPointer) {
    // Start from non-zero counts: the parser adds to what it is given (tcp, then tcp6).
    var states = TCPStates()
    for i in states.counts.indices { states.counts[i] = UInt64(i) }
    let before = states
    do {
        try Parse.netTCP(bytes, into: &states, file: "net/tcp6")
        require(states.counts.count == 12, "\(states.counts.count) states")
        for i in states.counts.indices {
            require(states.counts[i] >= before.counts[i], "state \(i + 1) went from \(before.counts[i]) to \(states.counts[i])")
        }
        let added = states.counts.reduce(0, +) - before.counts.reduce(0, +)
        let rows = nonBlankRowsAfterHeader(bytes)
        require(added == rows, "counted \(added) sockets in \(rows) rows")
    } catch {
        checkError(error, bytes, file: "net/tcp6")
        require(states == before, "a failed parse changed the counts: \(before.counts) -> \(states.counts)")
    }
}

// MARK: sock_diag

/// Socket messages the parser must count if it accepts the datagram, walked independently.
func socketMessages(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    var offset = 0
    var sockets: UInt64 = 0
    while bytes.count - offset >= 16 {
        let length = Int(bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian)
        let type = bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt16.self).littleEndian
        if type == 3 { break }              // NLMSG_DONE
        if type == 18 { sockets += 1 }      // TCPDIAG_GETSOCK
        guard length >= 16 else { break }
        offset += (length + 3) & ~3
    }
    return sockets
}

func fuzzSockDiag(_ bytes: UnsafeRawBufferPointer) {
    var states = TCPStates()
    do {
        let progress = try SockDiag.parse(bytes, sequence: diagSequence, into: &states)
        let counted = states.counts.reduce(0, +)
        let expected = socketMessages(bytes)
        require(counted == expected, "counted \(counted) sockets, datagram has \(expected) (\(progress))")
        require(states.finWait2MiniSockets <= states.counts[4],
                "\(states.finWait2MiniSockets) FIN_WAIT2 mini-sockets of \(states.counts[4]) FIN_WAIT2 sockets")
    } catch {
        _ = error.description
    }
}

// MARK: - cgroup files, unit names, discovery and layout (Sources/ProcParsers/Cgroup*.swift, UnitNames.swift)
//
// Inputs whose first byte is 0x80 or more, selector (byte - 0x80) % 10; the /proc selectors
// above keep the bytes below 0x80, so the two blocks grow apart:
//   0 one value (memory.current, pids.current, cpuacct.usage)  1 v2 cpu.stat  2 v2 memory.stat
//   3 v1 memory.stat  4 io.stat  5 blkio.*io_service_bytes  6 a PSI file  7 a unit directory name
//   8 discovery over a tree given as one directory path a line  9 layout from root entry names

enum CgroupSelector: UInt8, CaseIterable {
    case value, cpuStat, memoryStat, v1MemoryStat, ioStat, blkio, pressure, unitName, discovery, layout
}

func fuzzCgroup(_ byte: UInt8, _ bytes: UnsafeRawBufferPointer) {
    switch CgroupSelector(rawValue: byte % UInt8(CgroupSelector.allCases.count))! {
    case .value: fuzzCgroupValue(bytes)
    case .cpuStat: fuzzCgroupKeyed(bytes, file: "cpu.stat") { (b) throws(ParseError) in try Parse.cgroupCPUUsage(b) }
    case .memoryStat: fuzzCgroupKeyed(bytes, file: "memory.stat") { (b) throws(ParseError) in try Parse.cgroupMemoryAnon(b) }
    case .v1MemoryStat: fuzzCgroupKeyed(bytes, file: "memory.stat") { (b) throws(ParseError) in try Parse.cgroupV1MemoryStat(b).rssBytes }
    case .ioStat: fuzzCgroupIO(bytes, file: "io.stat", extra: "8:99 rbytes=1 wbytes=2\n") { (b) throws(ParseError) in try Parse.cgroupIOStat(b) }
    case .blkio:
        fuzzCgroupIO(bytes, file: "blkio.throttle.io_service_bytes", extra: "8:99 Read 1\n8:99 Write 2\nTotal 3\n") { (b) throws(ParseError) in
            try Parse.blkioServiceBytes(b)
        }
    case .pressure: fuzzCgroupPressure(bytes)
    case .unitName: fuzzUnitName(String(decoding: bytes, as: UTF8.self))
    case .discovery: fuzzDiscovery(bytes)
    case .layout: fuzzLayout(bytes)
    }
}

func text(_ bytes: UnsafeRawBufferPointer) -> String { String(decoding: bytes, as: UTF8.self) }

/// Parses `bytes` as the body of a cgroup file.
func parsed<T>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(ParseError) -> T) -> Result<T, ParseError> {
    bytes.withUnsafeBytes { b in Result { () throws(ParseError) -> T in try body(b) } }
}

func fuzzCgroupValue(_ bytes: UnsafeRawBufferPointer) {
    do {
        let v = try Parse.cgroupValue(bytes, file: "pids.current")
        // Whatever was accepted is that number: its canonical form parses back to it.
        let again = parsed(Array("\(v)\n".utf8)) { (b) throws(ParseError) in try Parse.cgroupValue(b, file: "pids.current") }
        require((try? again.get()) == v, "\(v) does not parse back")
        require((try? Parse.cpuacctUsageMicroseconds(bytes)) == v / 1000, "cpuacct.usage of \(v) ns")
    } catch {
        checkError(error, bytes, file: "pids.current")
    }
}

/// A keyed file: an accepted value is written in the input (perhaps after leading zeros).
func fuzzCgroupKeyed(_ bytes: UnsafeRawBufferPointer, file: String, _ body: (UnsafeRawBufferPointer) throws(ParseError) -> UInt64) {
    do {
        let v = try body(bytes)
        require(text(bytes).contains("\(v)"), "\(file): \(v) is not in the input")
    } catch {
        checkError(error, bytes, file: file)
    }
}

/// Sums over devices: one more device line adds exactly its bytes (or overflows, an error).
func fuzzCgroupIO(_ bytes: UnsafeRawBufferPointer, file: String, extra: String, _ body: (UnsafeRawBufferPointer) throws(ParseError) -> CgroupIO) {
    do {
        let io = try body(bytes)
        let newline = bytes.isEmpty || bytes.last == UInt8(ascii: "\n") ? [] : [UInt8(ascii: "\n")]
        let more = parsed(Array(bytes) + newline + Array(extra.utf8), body)
        switch more {
        case .success(let m):
            require(m.readBytes == io.readBytes + 1 && m.writeBytes == io.writeBytes + 2, "\(file): \(io) then \(m)")
        case .failure(let e):
            require(io.readBytes > UInt64.max - 1 || io.writeBytes > UInt64.max - 2, "\(file): one more device failed: \(e)")
        }
    } catch {
        checkError(error, bytes, file: file)
    }
}

func fuzzCgroupPressure(_ bytes: UnsafeRawBufferPointer) {
    do {
        let p = try Parse.cgroupPressureSome(bytes, file: "io.pressure")
        require(p.avg10.isFinite && p.avg10 >= 0, "avg10 \(p.avg10)")
    } catch {
        checkError(error, bytes, file: "io.pressure")
    }
}

func fuzzUnitName(_ name: String) {
    if let escaped = CgroupUnits.escape(name) {
        require(CgroupUnits.unescape(escaped) == name, "escape(\(name)) = \(escaped) does not unescape back")
        require(CgroupUnits.needsEscape(name) || escaped == name, "\(name) escaped without need")
    }
    if let unit = CgroupUnits.unitName(fromDirectory: name) {
        require(unit.hasSuffix(".service") || unit.hasSuffix(".scope"), "unit \(unit)")
        require(CgroupUnits.isValidUnitName(unit) && unit.utf8.count < 256, "invalid unit \(unit)")
        require(unit == CgroupUnits.unescape(name), "unit \(unit) from \(name)")
    }
    if let slice = CgroupUnits.sliceName(fromDirectory: name) {
        require(CgroupUnits.unitName(fromDirectory: name) == nil && slice.hasSuffix(".slice"), "slice \(slice)")
    }
}

func fuzzDiscovery(_ bytes: UnsafeRawBufferPointer) {
    // Every line is a directory path; its prefixes are directories too.
    var children: [String: [String]] = ["": []]
    for line in text(bytes).split(separator: "\n") {
        var parent = ""
        for name in line.split(separator: "/").map(String.init) {
            let path = parent.isEmpty ? name : parent + "/" + name
            if children[path] == nil {
                children[path] = []
                children[parent, default: []].append(name)
            }
            parent = path
        }
    }
    let maxUnits = 1 + Int(bytes.first ?? 0) % 64
    let found = CgroupUnits.discover(maxUnits: maxUnits) { children[$0] ?? [] }
    require(found.units.count <= maxUnits, "\(found.units.count) units over the bound \(maxUnits)")
    var seen = Set<String>()
    for unit in found.units {
        require(seen.insert(unit.path).inserted, "\(unit.path) twice")
        require(children[unit.path] != nil, "\(unit.path) is not in the tree")
        let parts = unit.path.split(separator: "/").map(String.init)
        require(parts.count <= CgroupUnits.maxDepth, "\(unit.path) deeper than \(CgroupUnits.maxDepth)")
        require(CgroupUnits.unitName(fromDirectory: parts.last!) == unit.name, "\(unit.path) named \(unit.name)")
        require(unit.slice == "-.slice" || parts.dropLast().contains { CgroupUnits.sliceName(fromDirectory: $0) == unit.slice },
                "\(unit.path) in slice \(unit.slice)")
        if let manager = unit.manager {
            require(parts.dropLast().contains { CgroupUnits.unitName(fromDirectory: $0) == manager }, "\(unit.path) under \(manager)")
        } else {
            require(parts.dropLast().allSatisfy { CgroupUnits.sliceName(fromDirectory: $0) != nil }, "\(unit.path) outside slices")
        }
    }
}

func fuzzLayout(_ bytes: UnsafeRawBufferPointer) {
    let entries = text(bytes).split(separator: "\n").map(String.init)
    let layout = CgroupLayout.detect(entriesAtRoot: entries)
    switch layout {
    case .unified:
        require(entries.contains("cgroup.controllers"), "unified without cgroup.controllers")
    case .hybrid(let v1), .legacy(let v1):
        require(!entries.contains("cgroup.controllers"), "v1 with cgroup.controllers")
        if case .hybrid = layout { require(entries.contains("unified"), "hybrid without unified/") }
        for dir in [v1.cpuacct, v1.memory, v1.pids, v1.blkio, v1.systemd].compactMap({ $0 }) {
            require(entries.contains(dir), "hierarchy \(dir) is not an entry")
        }
    case .unknown:
        break
    }
}
