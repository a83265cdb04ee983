import Posix
import Testing
@testable import ProcFS
@testable import ProcParsers

/// A sock_diag stand-in whose dumps that include LISTEN answer from a script: a count, or a
/// failure. Every other dump (the established-hash walk alone) finds nothing.
final class ScriptedDump: TCPStateDump {
    var script: [Result<TCPStates, SourceError>]
    var closed = false
    init(_ script: [Result<TCPStates, SourceError>]) { self.script = script }
    func tcpStates(mask: UInt32) -> Result<TCPStates, SourceError> {
        guard mask & TCPCounter.listen != 0 else { return .success(TCPStates()) }
        return script.isEmpty ? .failure(SourceError(source: "sock_diag", message: "script ran out")) : script.removeFirst()
    }
    func close() { closed = true }
}

@Suite struct TCPSourceTests {
    static let tree = fixture("linux-6.18-x86_64")
    static let second: UInt64 = 1_000_000_000

    /// A dump that lists `n` LISTEN sockets. The tree has net/snmp and net/sockstat, so on a
    /// netlink tick ESTABLISHED and TIME_WAIT come from their counters (CurrEstab 0, tw 0) and
    /// only the other states from the dump: LISTEN tells which dump answered.
    static func netlinkCount(_ n: UInt64) -> Result<TCPStates, SourceError> {
        var s = TCPStates()
        s.counts[9] = n
        return .success(s)
    }
    static let refused = Result<TCPStates, SourceError>.failure(SourceError(source: "sock_diag", message: "sock_diag reply: truncated message"))

    /// One failed dump costs netlink that tick only: /proc/net/tcp counts it, netlink is tried
    /// again after the backoff, and each change is noticed once.
    @Test func aFailedDumpFallsBackForThatTickAndNetlinkIsRetriedAfterABackoff() throws {
        var reader = ProcReader(root: Self.tree)
        var dumps = [ScriptedDump([Self.netlinkCount(777), Self.refused]), ScriptedDump([Self.netlinkCount(778), Self.netlinkCount(779)])]
        var opened: [ScriptedDump] = []
        // Every tick walks (audit 0), so every tick asks the dump for LISTEN.
        var source = TCPSource(open: { let d = dumps.removeFirst(); opened.append(d); return .success(d) }, auditNanos: 0)

        let first = try source.tcpStates(reader: &reader, now: 0).get()
        #expect(first.counts[9] == 777 && first.established == 0)
        #expect(source.name == "netlink" && source.takeNotice() == nil)

        #expect(try source.tcpStates(reader: &reader, now: Self.second).get().established == 10)   // the fixture's net/tcp
        #expect(source.name == "proc")
        #expect(source.takeNotice() == .fellBack(reason: "sock_diag reply: truncated message"))
        #expect(opened.count == 1 && opened[0].closed)

        // Within the backoff (1 s): not tried again, and nothing more is noticed.
        #expect(try source.tcpStates(reader: &reader, now: Self.second + Self.second / 2).get().established == 10)
        #expect(opened.count == 1 && source.takeNotice() == nil)

        #expect(try source.tcpStates(reader: &reader, now: 2 * Self.second).get().counts[9] == 778)
        #expect(source.name == "netlink" && opened.count == 2)
        #expect(source.takeNotice() == .recovered)
        #expect(try source.tcpStates(reader: &reader, now: 3 * Self.second).get().counts[9] == 779)
        #expect(source.takeNotice() == nil)
    }

    @Test func anUnavailableNetlinkIsRetriedWithADoublingBackoffAndNoticedOnce() throws {
        var reader = ProcReader(root: Self.tree)
        var attempts: [UInt64] = []
        var now: UInt64 = 0
        var source = TCPSource(open: { attempts.append(now); return .failure(SourceError(source: "sock_diag", message: "socket(AF_NETLINK): Address family not supported by protocol (errno 97)")) })
        var notices: [TCPSource.Notice] = []
        while now <= 200 * Self.second {
            #expect(try source.tcpStates(reader: &reader, now: now).get().established == 10)
            if let n = source.takeNotice() { notices.append(n) }
            now += Self.second / 2
        }
        #expect(attempts.map { $0 / Self.second } == [0, 1, 3, 7, 15, 31, 63, 127, 191])   // 1, 2, 4 … 64 s apart
        #expect(notices.count == 1)
        #expect(source.name == "proc")
    }

    @Test func aCapturedTreeNeverTriesNetlink() throws {
        var reader = ProcReader(root: Self.tree)
        var source = TCPSource(open: nil)
        #expect(try source.tcpStates(reader: &reader, now: 0).get().established == 10)
        #expect(source.name == "proc" && source.takeNotice() == nil)
    }

    /// The loop never waits on netlink longer than its receive timeout: a receive with no
    /// request pending gives up within a few milliseconds.
    @Test func aNetlinkReceiveNeverBlocksLongerThanItsTimeout() throws {
        let fd = try Netlink.open(protocol: Netlink.sockDiag, timeoutMillis: SockDiagReader.receiveTimeoutMillis)
        defer { fd.close() }
        let buffer = ReadBuffer(capacity: 4096)
        let start = Clock.monotonicNanos()
        #expect(throws: SyscallError.self) { try Netlink.receive(fd, into: buffer) }
        let waited = Double(Clock.monotonicNanos() - start) / 1e6
        #expect(waited < 50, "waited \(waited) ms")
    }
}
