import Glibc
import Posix
import Streaming

/// Start-up I/O: the listening sockets (ours, or systemd's) and the token file.
enum Startup {
    struct Listeners {
        var fds: [FileDescriptor] = []
        /// Unix socket paths this process created, removed again on exit.
        var ownedPaths: [String] = []
    }

    /// TCP listeners bound here take a connection when its request has arrived (the packaged
    /// socket unit says the same with DeferAcceptSec=), so the daemon reads and answers it in
    /// the turn that accepts it; a client that sends nothing is taken after about this long.
    static let deferAcceptSeconds: CInt = 1

    /// Sockets passed by systemd socket activation, or else the `--listen` addresses bound here.
    static func listeners(_ config: Configuration) throws -> Listeners {
        var result = Listeners()
        let passed = Notifier.listenDescriptors()
        guard passed.isEmpty else {
            result.fds = passed.filter { Socket.isListeningStream($0) }
            for fd in result.fds { try fd.setNonBlocking() }
            Log.info("using \(result.fds.count) listening socket(s) from systemd\(config.listenGiven ? "; --listen ignored" : "")")
            if result.fds.isEmpty { throw SyscallError("sd_listen_fds: no listening stream socket passed", EINVAL) }
            return result
        }
        for address in config.listen {
            let fd = try Socket.listen(address)
            result.fds.append(fd)
            if case .unix(let path) = address {
                result.ownedPaths.append(path)
                Socket.allowEveryone(unixPath: path)
                Log.info("listening on \(address)")
            } else {
                Socket.deferAccept(fd, seconds: Self.deferAcceptSeconds)
                Log.info("listening on \(describe(address, port: (try? Socket.localPort(fd)) ?? 0))")
            }
        }
        return result
    }

    static func describe(_ address: SocketAddress, port: UInt16) -> String {
        switch address {
        case .ipv4(let host, _): return "\(host):\(port)"
        case .ipv6(let host, _): return "[\(host)]:\(port)"
        case .unix(let path): return "unix:\(path)"
        }
    }

    /// The token file's first line, read once. Its content is never logged.
    static func readToken(_ path: String) throws -> [UInt8] {
        let buffer = ReadBuffer(capacity: 4096)
        do { try Files.read(path: path, into: buffer, limit: 4096) } catch {
            throw SyscallError("--token-file \(path): \(error.call)", error.code)
        }
        var token = Array(buffer.bytes.prefix { $0 != 0x0a && $0 != 0x0d })
        while let last = token.last, last == 0x20 || last == 0x09 { token.removeLast() }
        guard token.count >= 16, token.allSatisfy({ $0 > 0x20 && $0 < 0x7f && $0 != UInt8(ascii: ";") }) else {
            throw SyscallError("--token-file \(path): the token must be at least 16 printable characters without spaces or ';'", EINVAL)
        }
        return token
    }
}
