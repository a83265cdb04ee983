import CLinux
import Glibc

/// Where a listener binds: an IPv4 or IPv6 host and port, or a unix socket path.
public enum SocketAddress: Equatable, Sendable, CustomStringConvertible {
    case ipv4(host: String, port: UInt16)
    case ipv6(host: String, port: UInt16)
    case unix(path: String)

    public var description: String {
        switch self {
        case .ipv4(let host, let port): return "\(host):\(port)"
        case .ipv6(let host, let port): return "[\(host)]:\(port)"
        case .unix(let path): return "unix:\(path)"
        }
    }

    /// Parses `HOST:PORT` (IPv4 literal), `[V6]:PORT` or `unix:PATH`. Host names are not
    /// resolved: a daemon's listen address should not depend on DNS at boot.
    public static func parse(_ text: String) -> Result<SocketAddress, AddressError> {
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst(5))
            guard path.hasPrefix("/") else { return .failure(AddressError("unix socket path must be absolute: \(text)")) }
            guard path.utf8.count < 108 else { return .failure(AddressError("unix socket path too long: \(text)")) }
            return .success(.unix(path: path))
        }
        let host: Substring
        let portText: Substring
        let isV6: Bool
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return .failure(AddressError("missing ']' in \(text)")) }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return .failure(AddressError("expected [HOST]:PORT, got \(text)")) }
            portText = rest.dropFirst()
            isV6 = true
        } else {
            guard let colon = text.lastIndex(of: ":") else { return .failure(AddressError("expected HOST:PORT, got \(text)")) }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            isV6 = false
        }
        guard let port = UInt16(portText) else { return .failure(AddressError("bad port in \(text)")) }
        let hostString = String(host)
        if isV6 {
            var addr = in6_addr()
            guard inet_pton(AF_INET6, hostString, &addr) == 1 else { return .failure(AddressError("bad IPv6 address in \(text)")) }
            return .success(.ipv6(host: hostString, port: port))
        }
        var addr = in_addr()
        guard inet_pton(AF_INET, hostString, &addr) == 1 else { return .failure(AddressError("bad IPv4 address in \(text) (use [::1]:PORT for IPv6)")) }
        return .success(.ipv4(host: hostString, port: port))
    }
}

public struct AddressError: Error, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

public enum Socket {
    /// bind(2) with any sockaddr_* structure.
    private static func bind<Address>(_ raw: CInt, _ addr: inout Address, _ address: SocketAddress) throws(SyscallError) {
        let size = socklen_t(MemoryLayout<Address>.size)
        _ = try check("bind(\(address))") {
            withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(raw, $0, size) } }
        }
    }

    /// A non-blocking, close-on-exec listening socket bound to `address`.
    public static func listen(_ address: SocketAddress, backlog: CInt = 4096) throws(SyscallError) -> FileDescriptor {
        let family: CInt
        switch address {
        case .ipv4: family = AF_INET
        case .ipv6: family = AF_INET6
        case .unix: family = AF_UNIX
        }
        let raw = try check("socket") { socket(family, CLINUX_SOCK_STREAM | CLINUX_SOCK_NONBLOCK | CLINUX_SOCK_CLOEXEC, 0) }
        let fd = FileDescriptor(rawValue: raw)
        do {
            var one: CInt = 1
            switch address {
            case .ipv4(let host, let port):
                _ = try check("setsockopt(SO_REUSEADDR)") { setsockopt(raw, SOL_SOCKET, SO_REUSEADDR, &one, 4) }
                var sin = sockaddr_in()
                sin.sin_family = sa_family_t(AF_INET)
                sin.sin_port = port.bigEndian
                inet_pton(AF_INET, host, &sin.sin_addr)
                try bind(raw, &sin, address)
            case .ipv6(let host, let port):
                _ = try check("setsockopt(SO_REUSEADDR)") { setsockopt(raw, SOL_SOCKET, SO_REUSEADDR, &one, 4) }
                _ = try check("setsockopt(IPV6_V6ONLY)") { setsockopt(raw, CInt(IPPROTO_IPV6), IPV6_V6ONLY, &one, 4) }
                var sin6 = sockaddr_in6()
                sin6.sin6_family = sa_family_t(AF_INET6)
                sin6.sin6_port = port.bigEndian
                inet_pton(AF_INET6, host, &sin6.sin6_addr)
                try bind(raw, &sin6, address)
            case .unix(let path):
                // A stale socket file from a previous run would make bind fail with EADDRINUSE.
                var st = stat()
                if lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFSOCK { unlink(path) }
                var sun = sockaddr_un()
                sun.sun_family = sa_family_t(AF_UNIX)
                withUnsafeMutableBytes(of: &sun.sun_path) { dst in
                    let bytes = Array(path.utf8)
                    dst.copyBytes(from: bytes)
                    dst[bytes.count] = 0
                }
                try bind(raw, &sun, address)
            }
            _ = try check("listen(\(address))") { Glibc.listen(raw, backlog) }
        } catch {
            fd.close()
            throw error
        }
        return fd
    }

    /// The port a bound TCP socket got (for `--listen 127.0.0.1:0`).
    public static func localPort(_ fd: FileDescriptor) throws(SyscallError) -> UInt16 {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try withUnsafeMutablePointer(to: &storage) { (p) throws(SyscallError) in
            try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { (sa) throws(SyscallError) in
                try check("getsockname") { getsockname(fd.rawValue, sa, &len) }
            }
        }
        let family = storage.ss_family
        return withUnsafePointer(to: &storage) { p in
            if family == sa_family_t(AF_INET6) {
                return p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            }
            return p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
    }

    /// True when `fd` is a listening stream socket (for descriptors handed over by systemd).
    public static func isListeningStream(_ fd: FileDescriptor) -> Bool {
        var value: CInt = 0
        var len = socklen_t(4)
        guard getsockopt(fd.rawValue, SOL_SOCKET, SO_ACCEPTCONN, &value, &len) == 0 else { return false }
        return value != 0
    }

    /// Accepts one connection as a non-blocking, close-on-exec descriptor.
    public static func accept(_ listener: FileDescriptor) throws(SyscallError) -> IOResult<FileDescriptor> {
        let result = try checkNonBlocking("accept4") {
            clinux_accept4(listener.rawValue, CLINUX_SOCK_NONBLOCK | CLINUX_SOCK_CLOEXEC)
        }
        switch result {
        case .done(let raw): return .done(FileDescriptor(rawValue: raw))
        case .wouldBlock: return .wouldBlock
        }
    }

    /// Sends without ever raising SIGPIPE and without blocking.
    public static func send(_ fd: FileDescriptor, _ bytes: UnsafeRawBufferPointer) throws(SyscallError) -> IOResult<Int> {
        if bytes.isEmpty { return .done(0) }
        return try checkNonBlocking("send") {
            Glibc.send(fd.rawValue, bytes.baseAddress, bytes.count, CLINUX_MSG_NOSIGNAL | CLINUX_MSG_DONTWAIT)
        }
    }

    /// Gathers up to two buffers into one sendmsg (queued output plus a new event).
    public static func send(_ fd: FileDescriptor, _ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer) throws(SyscallError) -> IOResult<Int> {
        var iov = (
            iovec(iov_base: UnsafeMutableRawPointer(mutating: first.baseAddress), iov_len: first.count),
            iovec(iov_base: UnsafeMutableRawPointer(mutating: second.baseAddress), iov_len: second.count)
        )
        return try withUnsafeMutablePointer(to: &iov) { (p) throws(SyscallError) -> IOResult<Int> in
            try p.withMemoryRebound(to: iovec.self, capacity: 2) { (iovs) throws(SyscallError) -> IOResult<Int> in
                var msg = msghdr()
                msg.msg_iov = iovs
                msg.msg_iovlen = 2
                return try checkNonBlocking("sendmsg") {
                    sendmsg(fd.rawValue, &msg, CLINUX_MSG_NOSIGNAL | CLINUX_MSG_DONTWAIT)
                }
            }
        }
    }

    /// Receives into `buffer` (up to `count` more bytes). `.done(0)` means the peer closed.
    public static func receive(_ fd: FileDescriptor, appendingTo buffer: inout [UInt8], count: Int) throws(SyscallError) -> IOResult<Int> {
        try fd.read(appendingTo: &buffer, count: count)
    }

    public static func shutdownWrite(_ fd: FileDescriptor) {
        _ = shutdown(fd.rawValue, CInt(SHUT_WR))
    }

    /// A connected pair of non-blocking unix stream sockets (tests, wakeups).
    public static func pair() throws(SyscallError) -> (FileDescriptor, FileDescriptor) {
        var fds: [CInt] = [0, 0]
        _ = try check("socketpair") { socketpair(AF_UNIX, CLINUX_SOCK_STREAM | CLINUX_SOCK_NONBLOCK | CLINUX_SOCK_CLOEXEC, 0, &fds) }
        return (FileDescriptor(rawValue: fds[0]), FileDescriptor(rawValue: fds[1]))
    }

    /// TCP_DEFER_ACCEPT: the kernel completes a connection (makes it acceptable) only once its
    /// first data has arrived, or after about `seconds` for a client that sends nothing. A
    /// request is then there to read at accept. No effect (and no error) on a unix socket.
    public static func deferAccept(_ fd: FileDescriptor, seconds: CInt) {
        var value = seconds
        _ = setsockopt(fd.rawValue, CInt(IPPROTO_TCP), TCP_DEFER_ACCEPT, &value, 4)
    }

    /// Sends small writes at once (no Nagle delay); harmless on a unix socket.
    public static func setNoDelay(_ fd: FileDescriptor) {
        var one: CInt = 1
        _ = setsockopt(fd.rawValue, CInt(IPPROTO_TCP), TCP_NODELAY, &one, 4)
    }

    /// Lets any local user connect to a unix socket this process bound (access control is the
    /// token's job, and the directory's).
    public static func allowEveryone(unixPath path: String) { chmod(path, 0o666) }

    /// Removes a unix socket file this process created.
    public static func removeUnixSocket(_ path: String) { unlink(path) }

    public static func setSendBuffer(_ fd: FileDescriptor, bytes: CInt) {
        var value = bytes
        _ = setsockopt(fd.rawValue, SOL_SOCKET, SO_SNDBUF, &value, 4)
    }
}
