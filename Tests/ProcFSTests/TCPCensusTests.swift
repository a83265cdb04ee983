import Glibc
import Posix
import Testing
@testable import ProcFS
@testable import ProcParsers

/// A sock_diag stand-in that records which masks were asked for and answers from fixed counts.
final class RecordingDump: TCPStateDump {
    var listeners: UInt64 = 1
    /// What the established-hash walk finds (LISTEN: `listeners`).
    var walkFinds = TCPStates()
    var masks: [UInt32] = []
    init() {}
    func tcpStates(mask: UInt32) -> Result<TCPStates, SourceError> {
        masks.append(mask)
        if mask == TCPCounter.listen {
            var s = TCPStates()
            s.counts[9] = listeners
            return .success(s)
        }
        var s = walkFinds
        s.counts[9] = listeners
        for state in 1...12 where mask & (1 << UInt32(state)) == 0 { s.counts[state - 1] = 0 }
        if mask & (1 << 4) == 0 { s.finWait2MiniSockets = 0 }
        return .success(s)
    }
    func close() {}
    /// Whether the last tick walked the established hash, and whether it dumped LISTEN at all.
    func take() -> (walked: Bool, listed: Bool) {
        defer { masks.removeAll() }
        return (masks.contains { $0 & ~TCPCounter.listen != 0 }, masks.contains { $0 & TCPCounter.listen != 0 })
    }
}

/// A proc tree of its own whose counters a test rewrites between ticks.
final class CensusTree {
    let root: String
    init() {
        var template = Array("/tmp/procstream-census-XXXXXX".utf8CString)
        root = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        mkdir(root + "/net", 0o755)
    }
    deinit { _ = system("rm -rf '\(root)'") }

    func write(currEstab: UInt64, opens: UInt64 = 100, inUse: UInt64, inUse6: UInt64? = 0, timeWait: UInt64 = 0) {
        put("net/snmp", """
            Ip: Forwarding DefaultTTL
            Ip: 1 64
            Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors
            Tcp: 1 200 120000 -1 \(opens) \(opens) 0 0 \(currEstab) 5000 5000 0 0 0 0

            """)
        put("net/sockstat", "sockets: used 9\nTCP: inuse \(inUse) orphan 0 tw \(timeWait) alloc \(inUse) mem 1\nUDP: inuse 0 mem 0\n")
        if let inUse6 { put("net/sockstat6", "TCP6: inuse \(inUse6)\nUDP6: inuse 0\n") } else { unlink(root + "/net/sockstat6") }
    }

    private func put(_ name: String, _ text: String) {
        let f = fopen(root + "/" + name, "w")!
        fputs(text, f)
        fclose(f)
    }
}

@Suite struct TCPCensusTests {
    static let second: UInt64 = 1_000_000_000

    static func census(currEstab: UInt64 = 10, opens: UInt64 = 100, inUse: UInt64 = 12, timeWait: UInt64 = 0) -> TCPCounter.Census {
        var snmp = SnmpTCP()
        snmp.currEstab = currEstab
        snmp.activeOpens = opens
        return TCPCounter.Census(snmp: snmp, inUse: inUse, timeWait: timeWait)
    }

    /// Every row: the census of this tick and the last, and whether (and why) the hash is walked.
    @Test func walkReasons() {
        let quiet = Self.census()
        func reason(_ now: TCPCounter.Census, listeners: UInt64 = 2, previous: TCPCounter.Census? = Self.census(),
                    rare: Bool = false, since: UInt64 = Self.second) -> TCPCounter.WalkReason? {
            TCPCounter.walkReason(now, listeners: listeners, previous: previous, rareAtLastWalk: rare,
                                  sinceWalkNanos: since, auditNanos: 10 * Self.second)
        }
        #expect(reason(quiet) == nil)                                       // 12 in use = 2 listening + 10 established
        #expect(reason(quiet, previous: nil) == .noCensus)                  // nothing to compare with yet
        #expect(reason(quiet, rare: true) == .stillThere)
        #expect(reason(Self.census(inUse: 13)) == .otherStates)            // one socket in another state
        #expect(reason(Self.census(inUse: 11)) == .otherStates)            // counters read mid-change
        #expect(reason(quiet, listeners: 3) == .otherStates)
        #expect(reason(Self.census(opens: 101)) == .activity)              // a connection was opened
        #expect(reason(Self.census(currEstab: 11, inUse: 13)) == .activity)
        #expect(reason(Self.census(timeWait: 1)) == .activity)             // a FIN_WAIT2 mini-socket may be among them
        #expect(reason(quiet, previous: Self.census(timeWait: 5)) == nil)  // time-wait sockets expiring
        #expect(reason(quiet, since: 10 * Self.second) == .audit)
        #expect(reason(quiet, since: 10 * Self.second - 1) == nil)
    }

    /// The counter against a tree whose counters change between ticks: which ticks walk, and
    /// what each reports.
    @Test func aQuietHostIsCountedFromTheCensusAndTheHashIsWalkedOnlyWhenItMustBe() throws {
        let tree = CensusTree()
        let dump = RecordingDump()
        var reader = ProcReader(root: tree.root)
        var counter = TCPCounter(diag: dump, auditNanos: 10 * Self.second)
        var now: UInt64 = 0
        func tick() throws -> (walked: Bool, listed: Bool, states: TCPStates) {
            now += Self.second
            let states = try counter.tcpStates(reader: &reader, now: now).get()
            let (walked, listed) = dump.take()
            return (walked, listed, states)
        }

        tree.write(currEstab: 4, inUse: 3, inUse6: 2, timeWait: 7)    // 1 listening + 4 established, v4 and v6
        var t = try tick()
        #expect(t.walked && counter.lastWalk == .noCensus)
        #expect(t.states.established == 4 && t.states.timeWait == 7 && t.states.counts[9] == 1)

        t = try tick()
        #expect(!t.walked && !t.listed && counter.lastWalk == nil)    // nothing moved: not even LISTEN is dumped
        #expect(t.states.established == 4 && t.states.timeWait == 7 && t.states.counts[9] == 1)

        // A second listener: `inuse` moves, so LISTEN is dumped again, and the census holds.
        dump.listeners = 2
        tree.write(currEstab: 4, inUse: 4, inUse6: 2, timeWait: 7)
        t = try tick()
        #expect(!t.walked && t.listed && t.states.counts[9] == 2)
        dump.listeners = 1
        tree.write(currEstab: 4, inUse: 3, inUse6: 2, timeWait: 7)
        t = try tick()
        #expect(!t.walked && t.listed && t.states.counts[9] == 1)
        #expect(t.states.counts.enumerated().allSatisfy { [0, 5, 9].contains($0.offset) || $0.element == 0 })

        // Two sockets in FIN_WAIT1 and one SYN_SENT: `inuse` is three above the census.
        dump.walkFinds.counts[3] = 2
        dump.walkFinds.counts[1] = 1
        tree.write(currEstab: 4, inUse: 6, inUse6: 2, timeWait: 7)
        t = try tick()
        #expect(t.walked && counter.lastWalk == .otherStates)
        #expect(t.states.counts[3] == 2 && t.states.counts[1] == 1 && t.states.established == 4)

        // They become FIN_WAIT2 mini-sockets: `inuse` is back, but the walk goes on while they last,
        // and they are taken out of `tw`.
        dump.walkFinds = TCPStates()
        dump.walkFinds.counts[4] = 3
        dump.walkFinds.finWait2MiniSockets = 3
        tree.write(currEstab: 4, inUse: 3, inUse6: 2, timeWait: 10)
        t = try tick()
        #expect(t.walked && counter.lastWalk == .stillThere)
        #expect(t.states.counts[4] == 3 && t.states.timeWait == 7)

        dump.walkFinds = TCPStates()
        tree.write(currEstab: 4, inUse: 3, inUse6: 2, timeWait: 7)
        t = try tick()
        #expect(t.walked && counter.lastWalk == .stillThere)          // the walk that finds them gone
        #expect(t.states.counts[4] == 0 && t.states.timeWait == 7)
        t = try tick()
        #expect(!t.walked)

        // A new connection: both ends established, opens counted. Walked once, then quiet again.
        tree.write(currEstab: 6, opens: 101, inUse: 5, inUse6: 2, timeWait: 7)
        t = try tick()
        #expect(t.walked && counter.lastWalk == .activity && t.states.established == 6)
        t = try tick()
        #expect(!t.walked)

        // Nothing moves: the audit walks once every 10 s, counted from the last walk.
        var walks: [UInt64] = []
        for _ in 0..<25 {
            let t = try tick()
            if t.walked { walks.append(now / Self.second) }
            #expect(t.listed == t.walked && t.states.counts[9] == 1)        // the audit takes LISTEN afresh too
        }
        #expect(walks == [19, 29])

        // No IPv6 (no sockstat6): the v4 figure alone.
        tree.write(currEstab: 6, opens: 101, inUse: 7, inUse6: nil, timeWait: 7)
        t = try tick()
        #expect(!t.walked && t.states.established == 6)
    }

    /// A tree without net/sockstat gives no census: every tick lists every state.
    @Test func withoutTheCountersEveryTickListsEverything() throws {
        let tree = CensusTree()
        tree.write(currEstab: 4, inUse: 5)
        unlink(tree.root + "/net/sockstat")
        let dump = RecordingDump()
        dump.walkFinds.counts[0] = 4
        var reader = ProcReader(root: tree.root)
        var counter = TCPCounter(diag: dump)
        for i in 1...3 {
            let states = try counter.tcpStates(reader: &reader, now: UInt64(i) * Self.second).get()
            #expect(dump.masks == [SockDiag.allStates] && counter.lastWalk == .noCensus)
            #expect(states.established == 4 && counter.lastCurrEstab == 4)
            dump.masks.removeAll()
        }
    }

    /// The live kernel: whenever the census skips the walk, /proc/net/tcp read just before and
    /// just after (and agreeing) shows no socket in a rare state; sockets of our own in FIN_WAIT2
    /// and CLOSE_WAIT are found and counted exactly.
    @Test func liveCensusSkipsTheWalkOnlyWhenNothingRareExists() throws {
        var counter = TCPCounter(diag: try SockDiagReader())
        defer { counter.close() }
        var reader = ProcReader(root: "/proc")
        func rare(_ s: TCPStates) -> UInt64 { s.counts.enumerated().filter { ![0, 5, 9].contains($0.offset) }.reduce(0) { $0 + $1.element } }
        func sample() throws -> (proc: TCPStates, fast: TCPStates, walked: Bool)? {
            let before = try reader.tcpStates().get()
            let fast = try counter.tcpStates(reader: &reader, now: Clock.monotonicNanos()).get()
            let walked = counter.lastWalk != nil
            let after = try reader.tcpStates().get()
            return before.counts == after.counts ? (before, fast, walked) : nil
        }
        do {
            let sockets = LoopbackSockets(pairs: 6, halfClosedClients: 3)
            defer { withExtendedLifetime(sockets) {} }
            usleep(50_000)
            var seen = false
            for _ in 0..<100 where !seen {
                if let s = try sample() {
                    #expect(s.proc.counts[4] >= 3 && s.proc.counts[7] >= 3)
                    #expect(s.walked, "FIN_WAIT2 and CLOSE_WAIT in /proc/net/tcp but the census skipped the walk: \(s.proc.counts)")
                    seen = s.fast.counts.dropFirst() == s.proc.counts.dropFirst()
                }
                if !seen { usleep(20_000) }
            }
            #expect(seen)
        }
        var quietTicks = 0
        for _ in 0..<100 where quietTicks < 3 {
            if let s = try sample(), !s.walked {
                #expect(rare(s.proc) == 0, "census skipped the walk with \(s.proc.counts) in /proc/net/tcp")
                #expect(s.fast.counts.dropFirst() == s.proc.counts.dropFirst())
                quietTicks += 1
            }
            usleep(20_000)
        }
        #expect(quietTicks == 3, "no tick without a walk in 100 (the host is busy with other sockets)")
    }
}
