import Glibc
import Posix
import Testing
@testable import ProcFS
@testable import ProcParsers

/// Builds reply datagrams the way the kernel lays them out.
func message(type: UInt16, sequence: UInt32, payload: [UInt8]) -> [UInt8] {
    var b: [UInt8] = []
    let length = UInt32(16 + payload.count)
    withUnsafeBytes(of: length.littleEndian) { b.append(contentsOf: $0) }
    withUnsafeBytes(of: type.littleEndian) { b.append(contentsOf: $0) }
    withUnsafeBytes(of: UInt16(2).littleEndian) { b.append(contentsOf: $0) }   // NLM_F_MULTI
    withUnsafeBytes(of: sequence.littleEndian) { b.append(contentsOf: $0) }
    withUnsafeBytes(of: UInt32(1234).littleEndian) { b.append(contentsOf: $0) }
    b.append(contentsOf: payload)
    while b.count % 4 != 0 { b.append(0) }
    return b
}

func socketMessage(family: UInt8, state: UInt8, sequence: UInt32 = 7) -> [UInt8] {
    message(type: 18, sequence: sequence, payload: [family, state] + [UInt8](repeating: 0, count: 70))
}

func parseDiag(_ bytes: [UInt8], sequence: UInt32 = 7, into states: inout TCPStates) throws(SockDiag.Failure) -> SockDiag.Progress {
    let result = bytes.withUnsafeBytes { b in Result { () throws(SockDiag.Failure) in try SockDiag.parse(b, sequence: sequence, into: &states) } }
    return try result.get()
}

/// Loopback connections of this process: `pairs` accepted connections to a listener of our
/// own; the client side of the first `closedClients` is closed, leaving the server side in
/// CLOSE_WAIT; of the next `halfClosedClients` the client only shuts down its sending side,
/// which leaves it in FIN_WAIT2 and the server side in CLOSE_WAIT. Everything is closed again
/// when the returned object goes.
final class LoopbackSockets {
    private(set) var fds: [Int32] = []

    init(pairs: Int, closedClients: Int = 0, halfClosedClients: Int = 0) {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        fds.append(listener)
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, len) } }
        listen(listener, 64)
        _ = withUnsafeMutablePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &len) } }
        for i in 0..<pairs {
            let c = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            _ = withUnsafePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(c, $0, len) } }
            fds.append(accept(listener, nil, nil))
            if i < closedClients { close(c) } else { fds.append(c) }
            if i >= closedClients && i < closedClients + halfClosedClients { shutdown(c, Int32(SHUT_WR)) }
        }
    }

    deinit { fds.forEach { close($0) } }
}

@Suite struct SockDiagTests {
    @Test func requestLayout() {
        let r = SockDiag.request(sequence: 0x01020304)
        #expect(r.count == 76)
        #expect(r[0..<4] == [76, 0, 0, 0])
        #expect(r[4..<6] == [18, 0])                 // TCPDIAG_GETSOCK
        #expect(r[6..<8] == [0x01, 0x03])            // NLM_F_REQUEST | NLM_F_DUMP
        #expect(r[8..<12] == [4, 3, 2, 1])
        #expect(r[16] == 2)                          // family (ignored by the kernel for this type)
        #expect(r[68..<72] == [0xfe, 0x1f, 0, 0])    // states 1...12
    }

    @Test func countsSocketsAcrossDatagrams() throws {
        var states = TCPStates()
        let first = socketMessage(family: 2, state: 1) + socketMessage(family: 10, state: 1) + socketMessage(family: 2, state: 10)
        #expect(try parseDiag(first, into: &states) == .more)
        let second = socketMessage(family: 2, state: 6) + message(type: 3, sequence: 7, payload: [0, 0, 0, 0])
        #expect(try parseDiag(second, into: &states) == .done)
        #expect(states.established == 2)
        #expect(states.counts[9] == 1 && states.counts[5] == 1)
    }

    @Test func kernelErrorCarriesErrno() {
        var states = TCPStates()
        let error = message(type: 2, sequence: 7, payload: withUnsafeBytes(of: Int32(-1).littleEndian) { Array($0) } + [UInt8](repeating: 0, count: 16))
        #expect(throws: SockDiag.Failure.kernel(1)) { _ = try parseDiag(error, into: &states) }
        // A hostile error value of Int32.min must not trap on negation (found by the fuzzer).
        let hostile = message(type: 2, sequence: 7, payload: [0, 0, 0, 0x80])
        #expect(throws: SockDiag.Failure.kernel(Int32.min)) { _ = try parseDiag(hostile, into: &states) }
    }

    @Test(arguments: [
        Array(socketMessage(family: 2, state: 1).prefix(40)),                      // truncated
        socketMessage(family: 2, state: 1, sequence: 8),                           // not our sequence
        socketMessage(family: 2, state: 0),                                        // state 0 does not exist
        socketMessage(family: 2, state: 99),
        socketMessage(family: 2, state: 1) + [1, 2, 3],                            // trailing junk
        [UInt8](repeating: 0, count: 16),                                          // length 0
    ])
    func rejectsMalformed(_ bytes: [UInt8]) {
        var states = TCPStates()
        #expect(throws: SockDiag.Failure.self) { _ = try parseDiag(bytes, into: &states) }
    }

    @Test func liveCountMatchesProcNetTCP() throws {
        let sockets = LoopbackSockets(pairs: 5)   // something of our own to count
        defer { withExtendedLifetime(sockets) {} }
        var reader = try SockDiagReader()
        defer { reader.close() }
        var proc = ProcReader(root: "/proc")
        // Other tests open and close connections in parallel: look for a quiet moment, where
        // /proc/net/tcp reads the same before and after the netlink dump, and compare there.
        var agreed = false
        var viaNetlink = TCPStates()
        var seen: [(UInt64, UInt64, UInt64)] = []
        for _ in 0..<50 where !agreed {
            let before = try proc.tcpStates().get()
            viaNetlink = try reader.tcpStates().get()
            let after = try proc.tcpStates().get()
            seen.append((before.established, viaNetlink.established, after.established))
            agreed = before.counts == after.counts && viaNetlink.counts == before.counts
            if !agreed { usleep(20_000) }
        }
        #expect(agreed, "proc/netlink/proc established: \(seen.suffix(5))")
        #expect(viaNetlink.established >= 10)
        #expect(viaNetlink.counts[9] >= 1)
    }
}

@Suite struct TCPCounterTests {
    @Test func snmpAndSockstatParsers() throws {
        let snmp = "Ip: Forwarding DefaultTTL\nIp: 1 64\nTcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs\nTcp: 1 200 120000 -1 28 16 3 2 10 4171 4000 55\nUdp: InDatagrams\nUdp: 5\n"
        var expected = SnmpTCP()
        (expected.activeOpens, expected.passiveOpens, expected.attemptFails, expected.estabResets, expected.currEstab, expected.retransSegs) = (28, 16, 3, 2, 10, 55)
        #expect(try parse(snmp) { (b) throws(ParseError) in try Parse.snmpTCP(b) } == expected)
        #expect(try parse("Tcp: CurrEstab\nTcp: -1\n") { (b) throws(ParseError) in try Parse.snmpTCP(b) }.currEstab == 0)
        for bad in ["", "Tcp: A B\nTcp: 1 2\n", "Tcp: CurrEstab\n", "Tcp: X CurrEstab\nTcp: 1\n", "Tcp: CurrEstab\nTcp: x\n",
                    "Tcp: CurrEstab\nTcp: 5x\n", "Tcp: CurrEstab\nTcp: -\n"] {
            #expect(throws: ParseError.self) { try parse(bad) { (b) throws(ParseError) in try Parse.snmpTCP(b) } }
        }
        let sockstat = "sockets: used 25\nTCP: inuse 7 orphan 0 tw 313 alloc 1 mem 3\nUDP: inuse 0 mem 0\n"
        #expect(try parse(sockstat) { (b) throws(ParseError) in try Parse.sockstatTCP(b) } == SockstatTCP(inUse: 7, timeWait: 313))
        let sockstat6 = "TCP6: inuse 3\nUDP6: inuse 1\nUDPLITE6: inuse 0\n"
        #expect(try parse(sockstat6) { (b) throws(ParseError) in try Parse.sockstatTCP(b, line: "TCP6:") } == SockstatTCP(inUse: 3, timeWait: 0))
        for bad in ["", "TCP: tw 1\n", "TCP: inuse x\n", "TCP: inuse 1 tw\n", "TCP6: inuse 3\n"] {
            #expect(throws: ParseError.self) { try parse(bad) { (b) throws(ParseError) in try Parse.sockstatTCP(b) } }
        }
    }

    @Test func establishedFromTheCounter() {
        #expect(TCPCounter.derivedEstablished(counter: 66, closeWait: 50, semantics: .includesCloseWait) == 16)
        #expect(TCPCounter.derivedEstablished(counter: 16, closeWait: 50, semantics: .establishedOnly) == 16)
        #expect(TCPCounter.derivedEstablished(counter: 16, closeWait: 0, semantics: .unknown) == 16)
        #expect(TCPCounter.derivedEstablished(counter: 3, closeWait: 5, semantics: .includesCloseWait) == 0)
    }

    @Test func learnsTheKernelsCounting() {
        #expect(TCPCounter.learn(counter: 66, established: 16, closeWait: 50) == .includesCloseWait)
        #expect(TCPCounter.learn(counter: 16, established: 16, closeWait: 50) == .establishedOnly)
        #expect(TCPCounter.learn(counter: 17, established: 16, closeWait: 50) == .unknown)   // moved in between
        #expect(TCPCounter.learn(counter: 16, established: 16, closeWait: 0) == .unknown)    // nothing to tell by
    }

    @Test func liveCountsAgreeWithProcNetTCPIncludingCloseWait() throws {
        // Our own sockets: 20 established pairs and 10 connections left in CLOSE_WAIT.
        let sockets = LoopbackSockets(pairs: 30, closedClients: 10)
        defer { withExtendedLifetime(sockets) {} }
        usleep(50_000)
        var counter = TCPCounter(diag: try SockDiagReader())
        defer { counter.close() }
        var reader = ProcReader(root: "/proc")
        var agreed = false
        var seen: [String] = []
        for _ in 0..<50 where !agreed {
            let before = try reader.tcpStates().get()
            let fast = try counter.tcpStates(reader: &reader, now: Clock.monotonicNanos()).get()
            let after = try reader.tcpStates().get()
            seen.append("proc \(before.counts) fast \(fast.counts)")
            agreed = before.counts == after.counts && fast.counts == before.counts
            if !agreed { usleep(20_000) }
        }
        #expect(agreed, "\(seen.suffix(3))")
        #expect(counter.semantics != .unknown)   // it learned from our CLOSE_WAIT sockets
    }
}
