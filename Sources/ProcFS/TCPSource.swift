import Posix
import ProcParsers

/// Where each tick's TCP state counts come from: netlink sock_diag (`TCPCounter`) while it
/// works; /proc/net/tcp for a tick where it fails, with netlink retried after a backoff that
/// doubles from 1 s to 64 s. What changes (falling back, working again) is reported once, as a
/// notice for the log, never per tick.
public struct TCPSource {
    public enum Notice: Equatable, Sendable {
        case fellBack(reason: String)
        case recovered
    }

    public typealias Opener = () -> Result<any TCPStateDump, SourceError>

    static let firstBackoffNanos: UInt64 = 1_000_000_000
    static let maxBackoffNanos: UInt64 = 64_000_000_000

    /// nil: never netlink (a captured proc tree has none).
    private let open: Opener?
    private var counter: TCPCounter?
    /// What the counter learned about CurrEstab, kept across reconnects.
    private var semantics: TCPCounter.Semantics = .unknown
    private var failures = 0
    private var retryAtNanos: UInt64 = 0
    private var pendingNotice: Notice?

    private let auditNanos: UInt64

    /// `auditNanos`: the longest the established hash goes unwalked (see `TCPCounter`).
    public init(open: Opener?, auditNanos: UInt64 = TCPCounter.defaultAuditNanos) {
        self.open = open
        self.auditNanos = auditNanos
    }

    /// Netlink on a fresh sock_diag socket.
    public static func sockDiag() -> Result<any TCPStateDump, SourceError> {
        do throws(SyscallError) { return .success(try SockDiagReader()) } catch {
            return .failure(SourceError(source: "sock_diag", message: error.description))
        }
    }

    /// What the last tick counted with: "netlink" or "proc".
    public private(set) var name = "proc"

    /// The change since the last call, if any (for the log).
    public mutating func takeNotice() -> Notice? {
        defer { pendingNotice = nil }
        return pendingNotice
    }

    /// net/snmp's CurrEstab from the last count over netlink; nil when /proc/net/tcp counted.
    public var currEstab: UInt64? { name == "netlink" ? counter?.lastCurrEstab : nil }

    /// Why the last netlink count walked the established hash (nil: it did not, or no netlink).
    public var lastWalk: TCPCounter.WalkReason? { name == "netlink" ? counter?.lastWalk : nil }

    public mutating func tcpStates(reader: inout ProcReader, now: UInt64) -> Result<TCPStates, SourceError> {
        if counter == nil, let open, now >= retryAtNanos {
            switch open() {
            case .success(let diag): counter = TCPCounter(diag: diag, semantics: semantics, auditNanos: auditNanos)
            case .failure(let error): failed(error, now: now)
            }
        }
        if var live = counter {
            let result = live.tcpStates(reader: &reader, now: now)
            semantics = live.semantics
            switch result {
            case .success:
                counter = live
                name = "netlink"
                if failures > 0 { pendingNotice = .recovered }
                failures = 0
                return result
            case .failure(let error):
                live.close()
                counter = nil
                failed(error, now: now)
            }
        }
        name = "proc"
        return reader.tcpStates()
    }

    private mutating func failed(_ error: SourceError, now: UInt64) {
        if failures == 0 { pendingNotice = .fellBack(reason: error.message) }
        retryAtNanos = now + min(Self.maxBackoffNanos, Self.firstBackoffNanos << UInt64(min(failures, 6)))
        failures += 1
    }
}
