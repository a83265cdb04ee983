import Posix
import ProcParsers

/// Counts TCP sockets by state over NETLINK_SOCK_DIAG, IPv4 and IPv6 in one dump, on one
/// long-lived netlink socket. Sees the network namespace the daemon runs in, like /proc/net/tcp.
public struct SockDiagReader {
    private let fd: FileDescriptor
    private var sequence: UInt32 = 0
    private let buffer = ReadBuffer(capacity: 64 * 1024)

    /// Each receive waits at most this long for the kernel; the dump is produced while we read,
    /// so in practice it never waits at all, but the loop must never stall on it.
    public static let receiveTimeoutMillis = 5

    /// Fails where netlink is not allowed (e.g. systemd's RestrictAddressFamilies=): the
    /// caller then falls back to /proc/net/tcp.
    public init() throws(SyscallError) {
        fd = try Netlink.open(protocol: Netlink.sockDiag, timeoutMillis: Self.receiveTimeoutMillis)
    }

    public func close() { fd.close() }

    /// Counts the sockets in the given states (a bit per state, as in `SockDiag.allStates`);
    /// the others are left at zero. The kernel skips unrequested states before formatting
    /// them, which is what makes a narrow mask cheap.
    /// A failure leaves the socket with a dump half read: close it and open a new one.
    public mutating func tcpStates(mask: UInt32 = SockDiag.allStates) -> Result<TCPStates, SourceError> {
        var states = TCPStates()
        sequence &+= 1
        let seq = sequence
        do {
            try Netlink.send(fd, SockDiag.request(sequence: seq, states: mask))
            while true {
                try Netlink.receive(fd, into: buffer)
                do {
                    if try SockDiag.parse(buffer.bytes, sequence: seq, into: &states) == .done { return .success(states) }
                } catch {
                    return .failure(SourceError(source: "sock_diag", message: error.description))
                }
            }
        } catch {
            return .failure(SourceError(source: "sock_diag", message: error.description))
        }
    }
}
