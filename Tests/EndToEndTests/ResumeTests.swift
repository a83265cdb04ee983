import Foundation
import Glibc
import Testing

/// History replay and Last-Event-ID resume against the real daemon.
@Suite(.serialized) struct ResumeTests {
    func subscribe(_ port: UInt16, headers: String = "Accept: text/event-stream\r\n", query: String = "") throws -> Client {
        let c = try Client(port: port)
        c.send("GET /events\(query) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(headers)\r\n")
        return c
    }

    func ids(_ c: Client) -> [UInt64] {
        parseEvents(c.text).events.filter { $0.event == "metrics" }.compactMap { $0.id.flatMap(UInt64.init) }
    }

    @Test func eventSourceClientsGetHistoryThenResumeExactly() throws {
        let daemon = try Daemon(["--interval", "0.1", "--history", "20"])
        defer { daemon.stop() }
        // Let more than the ring's worth of ticks pass.
        usleep(2_600_000)
        let a = try subscribe(daemon.port)
        a.read(until: { parseEvents($0).events.count >= 24 }, timeout: 3)
        var seen = ids(a)
        #expect(seen.count >= 24)
        #expect(zip(seen, seen.dropFirst()).allSatisfy { $1 == $0 + 1 }, "consecutive: \(seen)")
        // The replay was the ring: 20 held, the newest of them the first live one's predecessor.
        let first = seen[0]
        #expect(parseEvents(a.text).comments.isEmpty)

        // Disconnect, let ticks pass, come back with Last-Event-ID: exactly the missed ids.
        let last = seen.last!
        withExtendedLifetime(a) {}
        seen = []
        usleep(700_000)
        let b = try subscribe(daemon.port, headers: "Accept: text/event-stream\r\nLast-Event-ID: \(last)\r\n")
        b.read(until: { parseEvents($0).events.count >= 12 }, timeout: 3)
        let resumed = ids(b)
        #expect(resumed.first == last + 1, "resumed at \(String(describing: resumed.first)) after \(last)")
        #expect(zip(resumed, resumed.dropFirst()).allSatisfy { $1 == $0 + 1 }, "no gaps or duplicates: \(resumed)")
        #expect(first > 0)

        // The same through the query parameter, for clients that cannot set headers.
        let q = try subscribe(daemon.port, headers: "", query: "?last_event_id=\(resumed[3])")
        q.read(until: { parseEvents($0).events.count >= 3 }, timeout: 3)
        #expect(ids(q).first == resumed[3] + 1)
    }

    @Test func resumeFromBeyondTheRingReplaysTheRingAndSaysSo() throws {
        let daemon = try Daemon(["--interval", "0.1", "--history", "20"])
        defer { daemon.stop() }
        usleep(2_600_000)
        let probe = try subscribe(daemon.port, headers: "")
        probe.read(until: { parseEvents($0).events.count >= 1 }, timeout: 2)
        let newest = ids(probe)[0]
        let c = try subscribe(daemon.port, headers: "Accept: text/event-stream\r\nLast-Event-ID: \(newest - 500)\r\n")
        c.read(until: { parseEvents($0).events.count >= 20 }, timeout: 3)
        let got = ids(c)
        #expect(parseEvents(c.text).comments.contains { $0.contains("older events are gone") && $0.contains("20 held") })
        // Ring bound respected: it starts no earlier than 19 before the newest at connect time.
        #expect(got[0] >= newest - 19 && got[0] <= newest + 2, "first \(got[0]) newest \(newest)")
        #expect(zip(got, got.dropFirst()).allSatisfy { $1 == $0 + 1 })
    }

    @Test func curlStyleClientsGetOnlyTheLatestThenLive() throws {
        let daemon = try Daemon(["--interval", "1", "--history", "50"])
        defer { daemon.stop() }
        usleep(2_200_000)
        let c = try subscribe(daemon.port, headers: "Accept: */*\r\n")
        c.read(until: { parseEvents($0).events.count >= 1 }, timeout: 2)
        c.read(timeout: 0.3)
        #expect(parseEvents(c.text).events.count == 1)
        let h = try subscribe(daemon.port, headers: "", query: "?history=2")
        h.read(until: { parseEvents($0).events.count >= 2 }, timeout: 2)
        h.read(timeout: 0.3)
        #expect(parseEvents(h.text).events.count == 2)
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
}
