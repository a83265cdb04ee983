import CLinux
import Glibc

/// A netlink socket to the kernel (sock_diag, for counting sockets without walking
/// /proc/net/tcp text).
public enum Netlink {
    public static let sockDiag = CInt(NETLINK_SOCK_DIAG)

    /// A blocking netlink socket with a receive timeout, so a kernel that never answers cannot
    /// stall the loop for more than `timeoutMillis`.
    public static func open(protocol proto: CInt, timeoutMillis: Int) throws(SyscallError) -> FileDescriptor {
        let raw = try check("socket(AF_NETLINK)") { socket(AF_NETLINK, CLINUX_SOCK_DGRAM | CLINUX_SOCK_CLOEXEC, proto) }
        var tv = timeval(tv_sec: timeoutMillis / 1000, tv_usec: (timeoutMillis % 1000) * 1000)
        _ = setsockopt(raw, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        return FileDescriptor(rawValue: raw)
    }

    /// Sends one request to the kernel (port 0).
    public static func send(_ fd: FileDescriptor, _ request: [UInt8]) throws(SyscallError) {
        var kernel = sockaddr_nl()
        kernel.nl_family = sa_family_t(AF_NETLINK)
        let n = try check("sendto(netlink)") { () -> Int in
            request.withUnsafeBytes { bytes in
                withUnsafePointer(to: &kernel) { p in
                    p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                        sendto(fd.rawValue, bytes.baseAddress, bytes.count, 0, sa, socklen_t(MemoryLayout<sockaddr_nl>.size))
                    }
                }
            }
        }
        if n != request.count { throw SyscallError("sendto(netlink): short write", EIO) }
    }

    /// Receives one datagram into `buffer` (up to its capacity). A timeout is EAGAIN.
    public static func receive(_ fd: FileDescriptor, into buffer: ReadBuffer) throws(SyscallError) {
        buffer.reset()
        let (start, room) = buffer.spare
        let n = try check("recv(netlink)") { recv(fd.rawValue, start, room, 0) }
        buffer.advance(n)
    }
}
