import Testing
@testable import ProcFS
@testable import ProcParsers

func parse<T>(_ text: String, _ body: (UnsafeRawBufferPointer) throws(ParseError) -> T) throws(ParseError) -> T {
    let bytes = Array(text.utf8)
    let result = bytes.withUnsafeBytes { b in Result { () throws(ParseError) -> T in try body(b) } }
    return try result.get()
}

@Suite struct StatParserTests {
    @Test func totalAndCores() throws {
        let s = try parse("cpu  10 1 5 100 4 2 3 1 0 0\ncpu0 5 1 2 50 2 1 1 0 0 0\ncpu1 5 0 3 50 2 1 2 1 0 0\nintr 1 2 3\n") { (b) throws(ParseError) in try Parse.stat(b) }
        #expect(s.total == CPUTimes(user: 10, nice: 1, system: 5, idle: 100, iowait: 4, irq: 2, softirq: 3, steal: 1))
        #expect(s.cores.map(\.id) == [0, 1])
        #expect(s.cores[1].times == CPUTimes(user: 5, nice: 0, system: 3, idle: 50, iowait: 2, irq: 1, softirq: 2, steal: 1))
        #expect(s.total.total == 126)
        #expect(s.total.busy == 22)
    }

    /// An offline core is absent: the ids say which cores the lines are.
    @Test func coresCarryTheKernelsIds() throws {
        let s = try parse("cpu  1 2 3 4\ncpu0 1 2 3 4\ncpu2 1 2 3 4\ncpu17 1 2 3 4\n") { (b) throws(ParseError) in try Parse.stat(b) }
        #expect(s.cores.map(\.id) == [0, 2, 17])
    }

    @Test func fourColumnKernelAndUnknownLines() throws {
        let s = try parse("weird 1 2\ncpu 1 2 3 4\ncpu0 1 2 3 4\nnewfield 7\n") { (b) throws(ParseError) in try Parse.stat(b) }
        #expect(s.total == CPUTimes(user: 1, nice: 2, system: 3, idle: 4))
    }

    @Test(arguments: [
        "",                                  // empty
        "intr 1 2 3\n",                      // no cpu line
        "cpu  1 2\n",                        // truncated
        "cpu  a b c d\n",                    // garbage
        "cpuX 1 2 3 4\ncpu 1 2 3 4\n",       // bad core name
        "cpu  1 2 3 4\ncpu0x 1 2 3 4\n",     // core id runs into a letter
        "cpu  1 2 3 4\ncpu1 1 2 3 4\ncpu0 1 2 3 4\n", // ids out of order
        "cpu  1 2 3 4\ncpu0 1 2 3 4\ncpu0 1 2 3 4\n", // the same id twice
        "cpu  99999999999999999999999 1 2 3\n", // overflow
    ])
    func rejects(_ text: String) {
        #expect(throws: ParseError.self) { try parse(text) { (b) throws(ParseError) in try Parse.stat(b) } }
    }

    @Test func errorNamesFileAndLine() {
        do {
            _ = try parse("cpu  1 2 3 4\ncpu0 1 2\n") { (b) throws(ParseError) in try Parse.stat(b, file: "stat") }
            Issue.record("expected an error")
        } catch {
            #expect(error.file == "stat")
            #expect(error.line == 2)
            #expect(error.description.contains("stat line 2"))
        }
    }

    @Test func busyPercent() {
        let a = CPUTimes(user: 100, nice: 0, system: 0, idle: 100)
        let b = CPUTimes(user: 150, nice: 0, system: 0, idle: 150)
        #expect(b.busyPercent(since: a) == 50)
        #expect(a.busyPercent(since: a) == 0)          // no time passed
        #expect(a.busyPercent(since: b) == 0)          // counters went backwards
        let io = CPUTimes(user: 100, nice: 0, system: 0, idle: 100, iowait: 100)
        #expect(io.busyPercent(since: CPUTimes(user: 100, nice: 0, system: 0, idle: 100)) == 0) // iowait is idle
    }

    /// Per-CPU iowait may go backwards (proc(5)): each field's delta saturates at zero on its
    /// own, so the drop is not taken out of the other fields' time (55.6% with one total delta).
    @Test func aFieldGoingBackwardsCountsAsNoTimeForThatFieldOnly() {
        let earlier = CPUTimes(user: 100, nice: 0, system: 0, idle: 100, iowait: 50)
        let later = CPUTimes(user: 150, nice: 0, system: 0, idle: 150, iowait: 40)
        #expect(later.busyPercent(since: earlier) == 50)
        let steal = CPUTimes(user: 100, nice: 0, system: 0, idle: 100, steal: 1000)
        #expect(CPUTimes(user: 100, nice: 0, system: 0, idle: 200, steal: 0).busyPercent(since: steal) == 0)
    }
}

@Suite struct MeminfoParserTests {
    @Test func totalAndAvailableInBytes() throws {
        let m = try parse("MemTotal:       1000 kB\nMemFree: 5 kB\nNewKey: 1 kB\nMemAvailable:    250 kB\n") { (b) throws(ParseError) in try Parse.meminfo(b) }
        #expect(m.totalBytes == 1_024_000)
        #expect(m.availableBytes == 256_000)
        #expect(m.usedBytes == 768_000)
    }

    @Test(arguments: ["", "MemTotal: 10 kB\n", "MemAvailable: 10 kB\n", "MemTotal: x kB\nMemAvailable: 1 kB\n",
                      "MemTotal: 99999999999999999999 kB\nMemAvailable: 1 kB\n", "\u{0}\u{1}garbage"])
    func rejects(_ text: String) {
        #expect(throws: ParseError.self) { try parse(text) { (b) throws(ParseError) in try Parse.meminfo(b) } }
    }

    @Test func availableAboveTotalIsZeroUsed() throws {
        let m = try parse("MemTotal: 1 kB\nMemAvailable: 2 kB\n") { (b) throws(ParseError) in try Parse.meminfo(b) }
        #expect(m.usedBytes == 0)
    }
}

@Suite struct LoadavgParserTests {
    @Test func parses() throws {
        let l = try parse("0.22 0.16 12.08 3/83 9398\n") { (b) throws(ParseError) in try Parse.loadavg(b) }
        #expect(l.one == 0.22)
        #expect(l.five == 0.16)
        #expect(l.fifteen == 12.08)
        #expect(l.runnable == 3)
        #expect(l.threads == 83)
    }

    @Test(arguments: ["", "0.1 0.2\n", "0.1 0.2 0.3 4\n", "0.1 0.2 0.3 4/\n", "a b c d/e\n", "0. 0.2 0.3 1/2 3\n"])
    func rejects(_ text: String) {
        #expect(throws: ParseError.self) { try parse(text) { (b) throws(ParseError) in try Parse.loadavg(b) } }
    }
}

@Suite struct UptimeParserTests {
    @Test func parses() throws {
        #expect(try parse("642.20 1142.00\n") { (b) throws(ParseError) in try Parse.uptime(b) } == 642.2)
    }

    @Test(arguments: ["", "x 1\n", "-1 2\n"])
    func rejects(_ text: String) {
        #expect(throws: ParseError.self) { try parse(text) { (b) throws(ParseError) in try Parse.uptime(b) } }
    }
}

@Suite struct NetTCPParserTests {
    let header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"

    func row(_ n: Int, _ state: String) -> String {
        "   \(n): 0100007F:1F90 0100007F:C350 \(state) 00000000:00000000 00:00000000 00000000  1000        0 1234 1 0000000000000000 20 4 30 10 -1\n"
    }

    @Test func countsByState() throws {
        var states = TCPStates()
        try parse(header + row(0, "01") + row(1, "01") + row(2, "0A") + row(3, "06") + row(4, "0B")) { (b) throws(ParseError) in
            try Parse.netTCP(b, into: &states)
        }
        #expect(states.established == 2)
        #expect(states.counts[9] == 1)   // listen
        #expect(states.counts[5] == 1)   // time_wait
        #expect(states.counts[10] == 1)  // closing
    }

    @Test func headerOnlyIsZero() throws {
        var states = TCPStates()
        try parse(header) { (b) throws(ParseError) in try Parse.netTCP(b, into: &states) }
        #expect(states == TCPStates())
    }

    @Test func accumulatesAcrossFiles() throws {
        var states = TCPStates()
        try parse(header + row(0, "01")) { (b) throws(ParseError) in try Parse.netTCP(b, into: &states) }
        try parse(header + row(0, "01")) { (b) throws(ParseError) in try Parse.netTCP(b, into: &states) }
        #expect(states.established == 2)
    }

    @Test(arguments: ["", "garbage\n", "  sl\n   0: 0100007F:1F90\n", "  sl\n   0: a b ZZ\n", "  sl\n   0: a b 00\n",
                      "  sl\n   0: a b 0D\n", "  sl\n   x: a b 01\n"])
    func rejects(_ text: String) {
        var states = TCPStates()
        #expect(throws: ParseError.self) { try parse(text) { (b) throws(ParseError) in try Parse.netTCP(b, into: &states) } }
    }

    @Test func failedParseLeavesCountsUntouched() {
        var states = TCPStates()
        _ = try? parse("  sl\n   0: a b 01\n   1: a b QQ\n") { (b) throws(ParseError) in try Parse.netTCP(b, into: &states) }
        #expect(states == TCPStates())
    }
}
