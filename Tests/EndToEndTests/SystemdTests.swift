import Foundation
import Glibc
import Testing

/// A fake NOTIFY_SOCKET: a unix datagram socket the test binds, recording each message with the
/// time it arrived.
final class NotifySocket {
    let path: String
    let fd: Int32
    private(set) var messages: [(at: Date, text: String)] = []

    init() throws {
        path = "/tmp/procstream-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var addr = unixAddress(path)
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        if rc != 0 { throw TestError("bind notify socket: errno \(errno)") }
    }

    deinit { Glibc.close(fd); unlink(path) }

    /// Receives datagrams until `predicate` holds for the list or the deadline passes.
    func receive(until predicate: ([String]) -> Bool, timeout: Double) {
        let deadline = Date().addingTimeInterval(timeout)
        while !predicate(messages.map(\.text)), Date() < deadline {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, Int32(max(1, deadline.timeIntervalSinceNow * 1000))) > 0 else { continue }
            var buf = [UInt8](repeating: 0, count: 4096)
            let n = recv(fd, &buf, buf.count, 0)
            if n > 0 { messages.append((Date(), String(decoding: buf[..<n], as: UTF8.self))) }
        }
    }
}

@Suite(.serialized) struct SystemdTests {
    @Test func readyWatchdogStatusAndStopping() throws {
        let notify = try NotifySocket()
        let daemon = try Daemon(["--interval", "0.1"], environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "1000000"])
        notify.receive(until: { $0.contains { $0.contains("READY=1") } }, timeout: 3)
        let ready = notify.messages.first { $0.text.contains("READY=1") }
        #expect(ready != nil)
        #expect(ready?.text.contains("STATUS=") == true)
        // READY=1 comes only once the port answers.
        let c = try Client(port: daemon.port)
        c.send("GET /healthz HTTP/1.0\r\n\r\n")
        #expect(c.readToEOF(timeout: 2))

        // WATCHDOG_USEC=1 s: a ping every 0.5 s, so 6 (+-2) in 3 s, and never a gap that would
        // let systemd's watchdog fire. Arrival times are taken by this (possibly busy) process,
        // so the gaps are checked against the deadline, not the period.
        let start = Date()
        notify.receive(until: { _ in Date().timeIntervalSince(start) >= 3 }, timeout: 3.5)
        let pings = notify.messages.filter { $0.text == "WATCHDOG=1" && $0.at >= start }
        #expect((4...8).contains(pings.count), "\(pings.count) pings in 3 s")
        let gaps = zip(pings, pings.dropFirst()).map { $1.at.timeIntervalSince($0.at) }
        #expect((gaps.max() ?? 1) < 0.9, "gaps \(gaps)")
        #expect(notify.messages.contains { $0.text.hasPrefix("STATUS=") && $0.text.contains("subscriber") })

        let (status, seconds) = daemon.stop()
        notify.receive(until: { $0.contains { $0.contains("STOPPING=1") } }, timeout: 1)
        #expect(notify.messages.contains { $0.text.contains("STOPPING=1") })
        #expect(status == 0)
        #expect(seconds < 1)
    }

    @Test func stuckLoopStopsTheHeartbeat() throws {
        let notify = try NotifySocket()
        let daemon = try Daemon(["--interval", "0.1"], environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "200000"])
        defer { daemon.stop() }
        notify.receive(until: { $0.filter { $0 == "WATCHDOG=1" }.count >= 2 }, timeout: 3)
        kill(daemon.pid, SIGSTOP)
        usleep(100_000)
        let stoppedAt = Date()
        notify.receive(until: { _ in Date().timeIntervalSince(stoppedAt) > 0.6 }, timeout: 0.8)
        #expect(!notify.messages.contains { $0.text == "WATCHDOG=1" && $0.at > stoppedAt.addingTimeInterval(0.05) })
        kill(daemon.pid, SIGCONT)
        let resumedAt = Date()
        notify.receive(until: { msgs in msgs.filter { $0 == "WATCHDOG=1" }.count > 0 && Date().timeIntervalSince(resumedAt) > 0.3 }, timeout: 1)
        #expect(notify.messages.contains { $0.text == "WATCHDOG=1" && $0.at > resumedAt })
    }

    /// WATCHDOG_USEC as large as systemd accepts (2^64 - 2) once trapped on `usec * 1000`.
    @Test func aHugeWatchdogIntervalStartsInsteadOfTrapping() throws {
        let notify = try NotifySocket()
        let daemon = try Daemon(["--interval", "0.1"], environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "18446744073709551614"])
        notify.receive(until: { $0.contains { $0.contains("READY=1") } }, timeout: 3)
        #expect(notify.messages.contains { $0.text.contains("READY=1") })
        let (status, _) = daemon.stop()
        #expect(status == 0)
    }

    @Test func withoutNotifySocketNothingIsSentAndSubscribersAreClosedOnStop() throws {
        let daemon = try Daemon(["--interval", "0.1"])
        let c = try Client(port: daemon.port)
        c.send("GET /events HTTP/1.1\r\nHost: h\r\n\r\n")
        c.read(until: { parseEvents($0).events.count >= 1 }, timeout: 2)
        let (status, seconds) = daemon.stop()
        #expect(status == 0 && seconds < 1)
        #expect(c.readToEOF(timeout: 1))
        #expect(parseEvents(c.text).comments.contains("procstreamd is shutting down"))
        #expect(daemon.log.contains("received SIGTERM"))
        #expect(!daemon.log.contains("<6>"))   // not under journald: plain lines
    }

    @Test func journalPrefixesWhenStderrIsTheJournalStream() throws {
        // JOURNAL_STREAM naming a different file must not switch the format on.
        let daemon = try Daemon([], environment: ["JOURNAL_STREAM": "1:1"])
        daemon.stop()
        #expect(daemon.log.contains("procstreamd: listening on"))
    }
}
