import ProcParsers

/// Counts TCP sockets by state as cheaply as the kernel allows.
///
/// The expensive part of any listing is the per-socket work, and on a busy host almost every
/// socket is ESTABLISHED or TIME_WAIT. Those two have O(1) kernel counters: CurrEstab in
/// net/snmp and `tw` in net/sockstat. So the netlink dump asks only for the other states (the
/// kernel skips the rest before formatting them) and the two big ones come from the counters.
///
/// CurrEstab includes CLOSE_WAIT on kernels that follow RFC 1213 and not on older ones. When
/// there are CLOSE_WAIT sockets and it is not yet known which kind of kernel this is, the tick
/// takes a full dump instead and, when the counter held still around it, learns the answer.
/// A dump of TCP sockets by state (netlink sock_diag; a fake one in tests).
public protocol TCPStateDump {
    /// Counts the sockets in the given states (a bit per state, as in `SockDiag.allStates`).
    mutating func tcpStates(mask: UInt32) -> Result<TCPStates, SourceError>
    func close()
}

extension SockDiagReader: TCPStateDump {}

public struct TCPCounter {
    public enum Semantics: Equatable, Sendable {
        case unknown
        case establishedOnly
        case includesCloseWait
    }

    static let established: UInt32 = 1 << 1
    static let timeWait: UInt32 = 1 << 6
    static let narrowMask = SockDiag.allStates & ~established & ~timeWait

    private var diag: any TCPStateDump
    private(set) public var semantics: Semantics
    /// net/snmp's CurrEstab as read by the last call (node_exporter's `node_netstat_Tcp_CurrEstab`).
    private(set) public var lastCurrEstab: UInt64?

    /// `semantics`: what an earlier counter on this host already learned.
    public init(diag: any TCPStateDump, semantics: Semantics = .unknown) {
        self.diag = diag
        self.semantics = semantics
    }

    public func close() { diag.close() }

    public mutating func tcpStates(reader: inout ProcReader) -> Result<TCPStates, SourceError> {
        let counter: UInt64
        switch reader.currEstab() {
        case .success(let c): counter = c; lastCurrEstab = c
        case .failure: lastCurrEstab = nil; return diag.tcpStates(mask: SockDiag.allStates)   // no net/snmp: list everything
        }
        var states: TCPStates
        switch diag.tcpStates(mask: Self.narrowMask) {
        case .success(let s): states = s
        case .failure(let e): return .failure(e)
        }
        if states.closeWait > 0 && semantics == .unknown {
            return calibrate(reader: &reader, before: counter)
        }
        states.established = Self.derivedEstablished(counter: counter, closeWait: states.closeWait, semantics: semantics)
        switch reader.timeWait() {
        case .success(let tw):
            // `tw` counts every time-wait mini-socket, FIN_WAIT2 ones (listed above) included.
            states.timeWait = tw >= states.finWait2MiniSockets ? tw - states.finWait2MiniSockets : 0
        case .failure:
            if case .success(let tw) = diag.tcpStates(mask: Self.timeWait) { states.timeWait = tw.timeWait }
        }
        return .success(states)
    }

    /// ESTABLISHED from CurrEstab, less the CLOSE_WAIT sockets where the kernel counts them.
    static func derivedEstablished(counter: UInt64, closeWait: UInt64, semantics: Semantics) -> UInt64 {
        guard semantics == .includesCloseWait else { return counter }
        return counter >= closeWait ? counter - closeWait : 0
    }

    /// A full dump for this tick; if CurrEstab read the same before and after it, it tells
    /// which kind of kernel this is.
    private mutating func calibrate(reader: inout ProcReader, before: UInt64) -> Result<TCPStates, SourceError> {
        let full = diag.tcpStates(mask: SockDiag.allStates)
        if case .success(let states) = full, case .success(let after) = reader.currEstab(), after == before {
            semantics = Self.learn(counter: before, established: states.established, closeWait: states.closeWait)
        }
        return full
    }

    static func learn(counter: UInt64, established: UInt64, closeWait: UInt64) -> Semantics {
        if closeWait > 0 && counter == established + closeWait { return .includesCloseWait }
        if closeWait > 0 && counter == established { return .establishedOnly }
        return .unknown
    }
}
