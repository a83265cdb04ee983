import Collectors
import Foundation
import Glibc
import HTTP
import Posix
import Streaming
import Testing
@testable import Procstream

/// The connection driver against real (unix) sockets, without the loop: what happens in the
/// turn that accepts a connection, and in a broadcast.
@Suite struct ConnectionsTests {
    static let fixtures = String(#filePath.dropLast("Tests/ProcstreamTests/ConnectionsTests.swift".count)) + "Tests/ProcFSTests/Fixtures"

    final class Harness {
        let epoll: Epoll
        let publisher: Publisher
        let connections: Connections
        var clients: [FileDescriptor] = []

        init() throws {
            guard case .success(.run(let config)) = Configuration.parse(["--proc-root", ConnectionsTests.fixtures + "/linux-6.18-x86_64",
                                                                         "--max-clients", "5000"]) else { throw SyscallError("config", EINVAL) }
            _ = ProcessInfo.raiseDescriptorLimit()
            epoll = try Epoll(capacity: 64)
            publisher = Publisher(config: config, identity: Identity(host: "test", version: "0", intervalSeconds: 1))
            publisher.prime()
            connections = Connections(config: config, epoll: epoll, publisher: publisher, access: AccessPolicy(),
                                      health: Health(intervalNanos: config.intervalNanos)) { UInt64($0.fd.rawValue) }
        }

        deinit { clients.forEach { $0.close() } }

        /// A client whose request is already in the socket when the server side is registered
        /// (what TCP_DEFER_ACCEPT gives at accept).
        func connect(_ request: String = "GET /events HTTP/1.1\r\nHost: h\r\n\r\n") throws {
            let (client, server) = try Socket.pair()
            clients.append(client)
            _ = Array(request.utf8).withUnsafeBytes { try? Socket.send(client, $0) }
            connections.register(server)
        }

        /// Everything the client has been sent so far.
        func received(_ i: Int) -> String {
            var bytes: [UInt8] = []
            while case .done(let n)? = try? Socket.receive(clients[i], appendingTo: &bytes, count: 4096), n > 0 {}
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    static func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    /// The request is read and answered in the turn that registers the connection: no epoll
    /// wakeup is needed before the stream starts.
    @Test func aConnectionWhoseRequestIsThereIsAnsweredWhenItIsAccepted() throws {
        let h = try Harness()
        _ = h.publisher.tick(now: Clock.monotonicNanos(), clients: 0)
        try h.connect()
        #expect(h.connections.subscribers.count == 1)
        let text = h.received(0)
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(Self.count("event: metrics", in: text) == 1, "greeted with the latest tick at once: \(text.suffix(200))")
    }

    /// A broadcast to 600 subscribers stops twice (after 256 and 512 sends) to serve new
    /// connections; a newcomer taken there is greeted with this tick from history and not sent
    /// it again, and every other subscriber gets it exactly once.
    @Test func aBroadcastServesNewcomersBetweenSlicesAndSendsEachSubscriberTheTickOnce() throws {
        let h = try Harness()
        for _ in 0..<600 { try h.connect() }
        #expect(h.connections.subscribers.count == 600)
        for i in 0..<600 { _ = h.received(i) }   // the greetings

        var stops = 0
        h.connections.betweenSlices = {
            stops += 1
            if stops == 1 { try? h.connect() }
        }
        let bytes = h.publisher.tick(now: Clock.monotonicNanos(), clients: 600)
        h.connections.broadcast(bytes)
        #expect(stops == 2)
        #expect(h.connections.subscribers.count == 601)
        for i in 0..<600 {
            let text = h.received(i)
            #expect(Self.count("event: metrics", in: text) == 1, "subscriber \(i): \(text)")
        }
        let newcomer = h.received(600)
        #expect(newcomer.hasPrefix("HTTP/1.1 200 OK\r\n") && Self.count("event: metrics", in: newcomer) == 1)
    }

    /// The TCP listeners the daemon binds defer accept until the request is there.
    @Test func boundTCPListenersDeferAccept() throws {
        guard case .success(.run(let config)) = Configuration.parse(["--listen", "127.0.0.1:0"]) else { Issue.record("config"); return }
        let listeners = try Startup.listeners(config)
        defer { listeners.fds.forEach { $0.close() } }
        var value: CInt = 0
        var len = socklen_t(4)
        #expect(getsockopt(listeners.fds[0].rawValue, CInt(IPPROTO_TCP), TCP_DEFER_ACCEPT, &value, &len) == 0)
        #expect(value > 0)
    }
}
