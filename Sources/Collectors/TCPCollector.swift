import ProcFS
import ProcParsers

/// `connections`, `tcp_states` and `tcp_source`: TCP sockets by state, over netlink sock_diag
/// where it works (see `TCPCounter` for how the cost stays flat) and /proc/net/tcp otherwise.
public struct TCPCollector: Collector {
    public struct Value: Equatable {
        public var states: TCPStates
        /// "netlink" or "proc".
        public var source: String
        /// net/snmp's CurrEstab where it was read (netlink); nil on the /proc/net/tcp count.
        public var currEstab: UInt64? = nil
        /// Why this count walked the established hash; nil when the census sufficed (or /proc/net/tcp).
        public var walk: TCPCounter.WalkReason? = nil
    }

    public let name = "tcp"
    public let fields = ["connections", "tcp_states", "tcp_source"]
    private var tcp: TCPSource

    /// `netlink`: nil decides by the proc root (a captured tree has no netlink); `openNetlink`
    /// replaces the sock_diag socket (tests); `auditNanos`: see `TCPCounter`.
    public init(procRoot: String, netlink: Bool? = nil, openNetlink: TCPSource.Opener? = nil,
                auditNanos: UInt64 = TCPCounter.defaultAuditNanos) {
        let live = netlink ?? (procRoot == "/proc" || procRoot == "/proc/")
        let opener: TCPSource.Opener? = live ? { TCPSource.sockDiag() } : nil
        tcp = TCPSource(open: openNetlink ?? opener, auditNanos: auditNanos)
    }

    public mutating func collect(_ context: inout CollectContext) -> Result<Value?, SourceError> {
        tcp.tcpStates(reader: &context.proc, now: context.nowNanos).map {
            Value(states: $0, source: tcp.name, currEstab: tcp.currEstab, walk: tcp.lastWalk)
        }
    }

    public func write(_ value: Value, to w: inout JSONWriter) {
        w.key("connections"); w.integer(value.states.established)
        w.key("tcp_states")
        w.beginObject()
        for (i, name) in TCPStates.names.enumerated().dropLast() { // new_syn_recv never shows in /proc
            w.key(name); w.integer(value.states.counts[i])
        }
        w.endObject()
        w.key("tcp_source"); w.string(value.source)
    }

    public mutating func takeNotice() -> Notice? {
        switch tcp.takeNotice() {
        case .fellBack(let reason)?:
            return Notice(level: .warning, text: "counting TCP sockets from /proc/net/tcp: netlink sock_diag failed (\(reason)); retrying it with backoff")
        case .recovered?:
            return Notice(level: .info, text: "counting TCP sockets over netlink sock_diag again")
        case nil:
            return nil
        }
    }
}
