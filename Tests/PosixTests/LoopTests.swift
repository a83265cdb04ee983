import Glibc
import Testing
@testable import Posix

func send(_ fd: FileDescriptor, _ bytes: [UInt8]) throws -> IOResult<Int> {
    try bytes.withUnsafeBytes { p in Result { () throws(SyscallError) in try Socket.send(fd, p) } }.get()
}

/// The loop's building blocks against real descriptors: socketpairs, pipes, timers, signals.
@Suite(.serialized) struct LoopTests {
    @Test func epollReportsReadableWithToken() throws {
        let (a, b) = try Socket.pair()
        defer { a.close(); b.close() }
        let epoll = try Epoll(capacity: 8)
        defer { epoll.close() }
        let token = EpollToken.make(kind: 2, generation: 77, fd: b)
        try epoll.add(b, .readable, token: token)
        var events: [Epoll.Event] = []
        try epoll.wait(timeoutMillis: 0) { events.append($0) }
        #expect(events.isEmpty)
        _ = try send(a, Array("hi".utf8))
        try epoll.wait(timeoutMillis: 1000) { events.append($0) }
        #expect(events.count == 1)
        #expect(events[0].token == token)
        #expect(EpollToken.kind(token) == 2 && EpollToken.generation(token) == 77 && EpollToken.fd(token) == b)
        #expect(events[0].flags.contains(.readable))
        var buffer: [UInt8] = []
        #expect(try Socket.receive(b, appendingTo: &buffer, count: 100) == .done(2))
        #expect(buffer == Array("hi".utf8))
        #expect(try Socket.receive(b, appendingTo: &buffer, count: 100) == .wouldBlock)
    }

    @Test func peerCloseIsSeen() throws {
        let (a, b) = try Socket.pair()
        defer { b.close() }
        let epoll = try Epoll(capacity: 8)
        defer { epoll.close() }
        try epoll.add(b, [.readable, .peerClosed], token: 1)
        a.close()
        var flags: Epoll.Interest = []
        try epoll.wait(timeoutMillis: 1000) { flags = $0.flags }
        #expect(flags.contains(.peerClosed))
        var buffer: [UInt8] = []
        #expect(try Socket.receive(b, appendingTo: &buffer, count: 10) == .done(0))
    }

    @Test func sendOnFullSocketWouldBlockAndNeverRaisesSIGPIPE() throws {
        let (a, b) = try Socket.pair()
        Socket.setSendBuffer(a, bytes: 4096)
        let chunk = [UInt8](repeating: 7, count: 65536)
        var total = 0
        var sawWouldBlock = false
        for _ in 0..<1000 {
            let r = try send(a, chunk)
            if case .done(let n) = r { total += n } else { sawWouldBlock = true; break }
        }
        #expect(sawWouldBlock)
        #expect(total > 0)
        // With the peer gone, send fails with EPIPE as an error, not a signal.
        b.close()
        #expect(throws: SyscallError.self) {
            for _ in 0..<10 { _ = try send(a, chunk) }
        }
        a.close()
    }

    @Test func gatheredSend() throws {
        let (a, b) = try Socket.pair()
        defer { a.close(); b.close() }
        let x = Array("ab".utf8), y = Array("cd".utf8)
        let r = try x.withUnsafeBytes { p in
            try y.withUnsafeBytes { q in Result { () throws(SyscallError) in try Socket.send(a, p, q) } }.get()
        }
        #expect(r == .done(4))
        var buffer: [UInt8] = []
        _ = try Socket.receive(b, appendingTo: &buffer, count: 10)
        #expect(buffer == Array("abcd".utf8))
    }

    @Test func pipeReadsAndEOF() throws {
        var fds: [CInt] = [0, 0]
        #expect(pipe(&fds) == 0)
        let r = FileDescriptor(rawValue: fds[0]), w = FileDescriptor(rawValue: fds[1])
        defer { r.close() }
        try r.setNonBlocking()
        try r.setCloseOnExec()
        var buffer: [UInt8] = []
        #expect(try r.read(appendingTo: &buffer, count: 10) == .wouldBlock)
        #expect(buffer.isEmpty)
        _ = try Array("xyz".utf8).withUnsafeBytes { p in Result { () throws(SyscallError) in try w.write(p) } }.get()
        w.close()
        #expect(try r.read(appendingTo: &buffer, count: 10) == .done(3))
        #expect(try r.read(appendingTo: &buffer, count: 10) == .done(0))
        #expect(buffer == Array("xyz".utf8))
    }

    @Test func timerFiresAndMustBeConsumed() throws {
        let timer = try TimerFD.create()
        defer { timer.close() }
        let epoll = try Epoll(capacity: 4)
        defer { epoll.close() }
        try epoll.add(timer, .readable, token: 9)
        #expect(try TimerFD.consume(timer) == 0)
        let start = Clock.monotonicNanos()
        try TimerFD.arm(timer, initialNanos: 20_000_000, intervalNanos: 20_000_000)
        var fired = 0
        try epoll.wait(timeoutMillis: 1000) { _ in fired += 1 }
        #expect(fired == 1)
        #expect(Clock.monotonicNanos() - start >= 19_000_000)
        #expect(try TimerFD.consume(timer) >= 1)
        // Consumed: not readable again until the next expiry.
        var again = 0
        try epoll.wait(timeoutMillis: 0) { _ in again += 1 }
        #expect(again == 0)
    }

    @Test func signalArrivesAsReadableEvent() throws {
        let fd = try SignalFD.create([SIGUSR1])
        defer { fd.close(); SignalFD.unblock([SIGUSR1]) }
        #expect(try SignalFD.next(fd) == nil)
        pthread_kill(pthread_self(), SIGUSR1)   // this thread: the runner has others without the mask
        #expect(try SignalFD.next(fd) == SIGUSR1)
        #expect(try SignalFD.next(fd) == nil)
    }

    @Test func listenAcceptOnLoopback() throws {
        let listener = try Socket.listen(.ipv4(host: "127.0.0.1", port: 0))
        defer { listener.close() }
        let port = try Socket.localPort(listener)
        #expect(port > 0)
        #expect(Socket.isListeningStream(listener))
        #expect(try Socket.accept(listener) == .wouldBlock)
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { Glibc.close(client) }
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = port.bigEndian
        sin.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let rc = withUnsafePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        #expect(rc == 0)
        guard case .done(let accepted) = try Socket.accept(listener) else { Issue.record("no connection"); return }
        accepted.close()
    }

    @Test func addressInUseIsAClearError() throws {
        let first = try Socket.listen(.ipv4(host: "127.0.0.1", port: 0))
        defer { first.close() }
        let port = try Socket.localPort(first)
        #expect(throws: SyscallError.self) { _ = try Socket.listen(.ipv4(host: "127.0.0.1", port: port)) }
        do { _ = try Socket.listen(.ipv4(host: "127.0.0.1", port: port)) } catch {
            #expect(error.code == EADDRINUSE)
            #expect(error.description.contains("bind(127.0.0.1:\(port))"))
        }
    }

    @Test func unixListenerReplacesStaleSocketFile() throws {
        let path = "/tmp/procstream-test-\(getpid()).sock"
        let a = try Socket.listen(.unix(path: path))
        a.close()   // leaves the file behind, as a crash would
        let b = try Socket.listen(.unix(path: path))
        b.close()
        unlink(path)
    }

    @Test func readWholeFileWithLimit() throws {
        let buffer = ReadBuffer(capacity: 64)
        try Files.read(path: "/proc/self/stat", into: buffer, limit: 1 << 20)
        #expect(buffer.count > 10)
        let path = "/tmp/procstream-big-\(getpid())"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let big = [UInt8](repeating: 65, count: 100_000)
        _ = big.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        Glibc.close(fd)
        defer { unlink(path) }
        #expect(throws: SyscallError.self) { try Files.read(path: path, into: buffer, limit: 99_999) }
        try Files.read(path: path, into: buffer, limit: 100_000)      // exactly at the limit
        #expect(buffer.count == 100_000)
        #expect(buffer.bytes.allSatisfy { $0 == 65 })
        #expect(buffer.capacity <= 100_001)                            // grew no further than needed
        buffer.shrink(to: 4096)
        try Files.read(path: "/proc/self/stat", into: buffer, limit: 4096)
        do { try Files.read(path: "/nonexistent/x", into: buffer, limit: 10) } catch { #expect(error.code == ENOENT) }
    }

    @Test(arguments: [
        ("127.0.0.1:9490", SocketAddress.ipv4(host: "127.0.0.1", port: 9490)),
        ("0.0.0.0:0", .ipv4(host: "0.0.0.0", port: 0)),
        ("[::1]:9490", .ipv6(host: "::1", port: 9490)),
        ("[::]:80", .ipv6(host: "::", port: 80)),
        ("unix:/run/procstreamd/procstreamd.sock", .unix(path: "/run/procstreamd/procstreamd.sock")),
    ])
    func addressParsing(_ text: String, _ expected: SocketAddress) throws {
        #expect(try SocketAddress.parse(text).get() == expected)
        #expect(expected.description == text)
    }
}
