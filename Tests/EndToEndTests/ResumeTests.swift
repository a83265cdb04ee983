import Foundation
import Glibc
import Testing

/// History replay and Last-Event-ID resume against the real daemon. Each test fails when replay
/// or resume is broken: ids are checked exactly against what a live probe saw, disconnects
/// really close, and waits are for ids to arrive, not for time to pass.
@Suite(.serialized) struct ResumeTests {
    func subscribe(_ port: UInt16, headers: String = "Accept: text/event-stream\r\n", query: String = "", receiveBuffer: Int32? = nil) throws -> Client {
        let c = try Client(port: port, receiveBuffer: receiveBuffer)
        c.send("GET /events\(query) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(headers)\r\n")
        return c
    }

    func ids(_ c: Client) -> [UInt64] {
        parseEvents(c.text).events.filter { $0.event == "metrics" }.compactMap { $0.id.flatMap(UInt64.init) }
    }

    func consecutive(_ ids: [UInt64]) -> Bool { zip(ids, ids.dropFirst()).allSatisfy { $1 == $0 + 1 } }

    /// The id of the newest complete event received so far, from the tail of the stream only
    /// (cheap to ask often).
    func lastID(_ c: Client) -> UInt64 {
        var tail = String(decoding: c.buffer.suffix(16 * 1024), as: UTF8.self)
        guard let end = tail.range(of: "\n\n", options: .backwards) else { return 0 }
        tail = String(tail[..<end.lowerBound])
        guard let r = tail.range(of: "\nid: ", options: .backwards) else { return 0 }
        return UInt64(tail[r.upperBound...].prefix { $0.isNumber }) ?? 0
    }

    /// Reads until an event with at least this id has arrived (or the deadline, or EOF).
    func read(_ c: Client, untilID id: UInt64, timeout: Double) {
        let deadline = Date().addingTimeInterval(timeout)
        while lastID(c) < id, Date() < deadline, c.read(timeout: 0.05) {}
    }

    /// A curl-style subscriber (latest event only, then live) that tells the newest id sent.
    final class Probe {
        let client: Client
        let test: ResumeTests
        init(_ test: ResumeTests, port: UInt16) throws {
            self.test = test
            client = try test.subscribe(port, headers: "")
            client.read(until: { parseEvents($0).events.count >= 1 }, timeout: 3)
        }
        /// Reads what has arrived and returns the newest id.
        var newest: UInt64 {
            while pending && client.read(timeout: 0) {}
            return test.lastID(client)
        }
        private var pending: Bool { var p = pollfd(fd: client.fd, events: Int16(POLLIN), revents: 0); return poll(&p, 1, 0) > 0 }
        /// Waits until an event with at least this id has been sent.
        func wait(untilID id: UInt64, timeout: Double = 10) { test.read(client, untilID: id, timeout: timeout) }
    }

    @Test func eventSourceClientsGetTheWholeRingThenResumeExactly() throws {
        let daemon = try Daemon(["--interval", "0.1", "--history", "20"])
        defer { daemon.stop() }
        let probe = try Probe(self, port: daemon.port)
        probe.wait(untilID: probe.newest + 25)   // the ring is full and has wrapped

        let newest = probe.newest
        let a = try subscribe(daemon.port)
        a.read(until: { parseEvents($0).events.count >= 20 }, timeout: 3)
        let replayed = ids(a)
        // The whole ring, at once: the 20 held, the newest of them the latest sent.
        #expect(replayed.count >= 20)
        #expect([newest - 19, newest - 18].contains(replayed.first ?? 0), "first \(replayed.first ?? 0), newest at connect \(newest)")
        #expect(consecutive(replayed), "\(replayed)")
        #expect(parseEvents(a.text).comments.isEmpty)

        // Disconnect for real, let five ticks pass, come back with Last-Event-ID: exactly the
        // missed ids, first of all, with no gap and no duplicate.
        a.read(until: { parseEvents($0).events.count >= 22 }, timeout: 2)
        let last = ids(a).last!
        shutdown(a.fd, Int32(SHUT_RDWR))
        probe.wait(untilID: last + 5)
        let b = try subscribe(daemon.port, headers: "Accept: text/event-stream\r\nLast-Event-ID: \(last)\r\n")
        b.read(until: { parseEvents($0).events.count >= 8 }, timeout: 3)
        let resumed = ids(b)
        #expect(resumed.first == last + 1, "resumed at \(resumed.first ?? 0) after \(last)")
        #expect(resumed.count >= 8 && consecutive(resumed), "\(resumed)")
        #expect(parseEvents(b.text).comments.isEmpty)

        // The same through the query parameter, for clients that cannot set headers (and send
        // no Accept, which alone would get only the latest).
        let from = resumed[2]
        probe.wait(untilID: from + 3)
        let q = try subscribe(daemon.port, headers: "", query: "?last_event_id=\(from)")
        q.read(until: { parseEvents($0).events.count >= 4 }, timeout: 3)
        #expect(ids(q).prefix(4) == [from + 1, from + 2, from + 3, from + 4][...], "\(ids(q))")
    }

    @Test func resumeFromBeyondTheRingReplaysTheRingAndSaysSo() throws {
        let daemon = try Daemon(["--interval", "0.1", "--history", "20"])
        defer { daemon.stop() }
        let probe = try Probe(self, port: daemon.port)
        probe.wait(untilID: probe.newest + 25)
        let newest = probe.newest
        let c = try subscribe(daemon.port, headers: "Accept: text/event-stream\r\nLast-Event-ID: \(newest - 500)\r\n")
        c.read(until: { parseEvents($0).events.count >= 20 }, timeout: 3)
        let got = ids(c)
        #expect(parseEvents(c.text).comments.contains { $0.contains("resuming after \(newest - 500): older events are gone") && $0.contains("20 held") })
        #expect([newest - 19, newest - 18].contains(got.first ?? 0), "first \(got.first ?? 0), newest at connect \(newest)")
        #expect(consecutive(got))
    }

    @Test func curlStyleClientsGetOnlyTheLatestThenLive() throws {
        let daemon = try Daemon(["--interval", "0.2", "--history", "50"])
        defer { daemon.stop() }
        let probe = try Probe(self, port: daemon.port)
        probe.wait(untilID: probe.newest + 3)
        var newest = probe.newest
        let c = try subscribe(daemon.port, headers: "Accept: */*\r\n")
        c.read(until: { parseEvents($0).events.count >= 2 }, timeout: 2)
        #expect([newest, newest + 1].contains(ids(c).first ?? 0), "first \(ids(c).first ?? 0), newest at connect \(newest)")
        #expect(consecutive(ids(c)))
        newest = probe.newest
        let h = try subscribe(daemon.port, headers: "", query: "?history=5")
        h.read(until: { parseEvents($0).events.count >= 6 }, timeout: 2)
        #expect([newest - 4, newest - 3].contains(ids(h).first ?? 0), "first \(ids(h).first ?? 0), newest at connect \(newest)")
        #expect(consecutive(ids(h)))
    }

    @Test func idsKeepIncreasingAcrossARestart() throws {
        var daemon = try Daemon(["--interval", "0.1"])
        let c = try subscribe(daemon.port, headers: "")
        c.read(until: { parseEvents($0).events.count >= 3 }, timeout: 2)
        let before = ids(c).last!
        daemon.stop()
        daemon = try Daemon(["--interval", "0.1"])
        defer { daemon.stop() }
        let d = try subscribe(daemon.port, headers: "Accept: text/event-stream\r\nLast-Event-ID: \(before)\r\n")
        d.read(until: { parseEvents($0).events.count >= 1 }, timeout: 2)
        #expect(ids(d)[0] > before)
        #expect(parseEvents(d.text).comments.contains { $0.contains("older events are gone") })
    }

    /// A healthy EventSource catching up on a large ring with a small queue bound: replay must
    /// never by itself push it over --max-queued-kib (it used to fill 64 KiB against a 16 KiB
    /// bound and drop the client as "stopped reading", over and over).
    @Test func aSlowButSteadyReaderCatchesUpOnALargeRingWithinASmallQueueBound() throws {
        let daemon = try Daemon(["--interval", "0.01", "--history", "400", "--max-queued-kib", "16"])
        defer { daemon.stop() }
        let probe = try Probe(self, port: daemon.port)
        probe.wait(untilID: probe.newest + 420)
        let newest = probe.newest
        shutdown(probe.client.fd, Int32(SHUT_RDWR))   // not read from here on: it would be dropped
        let c = try subscribe(daemon.port, receiveBuffer: 4096)
        // About 600 KB/s: 4 KiB every 6 ms, until it has the newest at connect and 20 live more.
        let deadline = Date().addingTimeInterval(10)
        var open = true, rounds = 0
        while open, Date() < deadline {
            open = c.read(timeout: 0.05, maxBytes: 4096)
            usleep(6_000)
            rounds += 1
            if rounds % 50 == 0, (ids(c).last ?? 0) >= newest + 20 { break }
        }
        let got = ids(c)
        #expect(open, "dropped after \(got.count) events: \(daemon.log.suffix(300))")
        #expect(got.count >= 400 && consecutive(got), "\(got.count) events, consecutive: \(consecutive(got))")
        #expect(!daemon.log.contains("stopped reading"))
    }

    /// A subscriber stalled mid-replay while the ring wraps past it is told events are gone,
    /// exactly where they are, with the same comment a new subscriber gets.
    @Test func aHistoryWrapDuringReplayIsAnnounced() throws {
        let daemon = try Daemon(["--interval", "0.01", "--history", "400", "--max-queued-kib", "16"])
        defer { daemon.stop() }
        let probe = try Probe(self, port: daemon.port)
        probe.wait(untilID: probe.newest + 420)
        let c = try subscribe(daemon.port, receiveBuffer: 4096)
        c.read(until: { parseEvents($0).events.count >= 1 }, timeout: 2)   // the replay has started
        // Stalled (reading nothing) until the ring has moved on by more than it holds.
        probe.wait(untilID: probe.newest + 450)
        let target = probe.newest
        read(c, untilID: target, timeout: 5)
        let got = ids(c)
        #expect((got.last ?? 0) >= target, "caught up to \(got.last ?? 0) of \(target)")
        let gaps = zip(got, got.dropFirst()).filter { $1 != $0 + 1 }
        #expect(gaps.count == 1, "gaps \(gaps)")
        let comments = parseEvents(c.text).comments.filter { $0.contains("older events are gone") }
        #expect(comments.count == gaps.count)
        if let gap = gaps.first {
            #expect(comments.first?.hasPrefix("resuming after \(gap.0): older events are gone") == true, "\(comments) for gap \(gap)")
            // The comment stands where the events went missing, between the two ids.
            let body = responseBody(c.text)?.body ?? ""
            let at = body.range(of: "resuming after \(gap.0)")?.lowerBound
            let before = body.range(of: "id: \(gap.0)\n")?.upperBound, after = body.range(of: "id: \(gap.1)\n")?.lowerBound
            #expect(at != nil && before != nil && after != nil && before! < at! && at! < after!)
        }
    }
}
