import Foundation
import Glibc
import Testing

/// The per-unit view through the real binary, against the cgroup fixture trees.
@Suite(.serialized) struct UnitsTests {
    func get(_ port: UInt16, _ path: String) throws -> (Int, String) {
        let c = try Client(port: port)
        c.send("GET \(path) HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
        c.readToEOF(timeout: 3)
        return (responseHead(c.text)?.status ?? 0, responseBody(c.text)?.body ?? "")
    }

    @Test func unitsEndpointAndASelectedStreamShareTheTicksIds() throws {
        let daemon = try Daemon(["--interval", "0.2", "--cgroup-root", fixtureTree("cgroup-v2").path])
        defer { daemon.stop() }
        let (status, body) = try get(daemon.port, "/units")
        #expect(status == 200)
        let payload = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        let units = try #require(payload["units"] as? [[String: Any]])
        #expect(units.count == 16)
        #expect((payload["collect_us"] as? Int).map { $0 > 0 } == true, "collect_us: \(payload["collect_us"] ?? "absent")")
        #expect(Set(units.compactMap { $0["unit"] as? String }).isSuperset(of: ["nginx.service", "cpu.service", "user@1000.service", "init.scope"]))
        #expect(units.allSatisfy { $0.keys.count == 10 })
        // init.scope twice: the system's and user@1000.service's, told apart by their manager.
        #expect(units.filter { $0["unit"] as? String == "init.scope" }.map { $0["manager"] as? String ?? "-" }.sorted() == ["-", "user@1000.service"])

        let c = try Client(port: daemon.port)
        c.send("GET /events?units=nginx.service,ssh.service HTTP/1.1\r\nHost: h\r\n\r\n")
        c.read(until: { parseEvents($0).events.filter { $0.event == "units" }.count >= 3 }, timeout: 3)
        let events = parseEvents(c.text).events
        let unitEvents = events.filter { $0.event == "units" }
        #expect(unitEvents.count >= 3)
        for u in unitEvents {
            let names = ((u.json?["units"] as? [[String: Any]]) ?? []).compactMap { $0["unit"] as? String }
            #expect(Set(names) == ["nginx.service", "ssh.service"], "\(names)")
            // Each units event follows its tick's metrics event, with the same id.
            let i = events.firstIndex { $0.id == u.id && $0.event == "metrics" }
            #expect(i != nil, "no metrics event with id \(u.id ?? "-")")
        }
        #expect(daemon.log.contains("per-unit view: cgroup v2 (unified)"))
        #expect(try get(daemon.port, "/events?units=a%20b").0 == 400)
    }

    /// A page that reconnects with Last-Event-ID gets the ticks it missed, units events included.
    @Test func resumeReplaysTheMissedUnitsEventsToo() throws {
        let daemon = try Daemon(["--interval", "0.1", "--cgroup-root", fixtureTree("cgroup-hybrid").path])
        defer { daemon.stop() }
        let a = try Client(port: daemon.port)
        a.send("GET /events?units=1 HTTP/1.1\r\nHost: h\r\n\r\n")
        a.read(until: { parseEvents($0).events.filter { $0.event == "units" }.count >= 2 }, timeout: 3)
        let last = try #require(parseEvents(a.text).events.last { $0.event == "units" }?.id.flatMap(UInt64.init))
        shutdown(a.fd, Int32(SHUT_RDWR))
        let probe = try Client(port: daemon.port)
        probe.send("GET /events HTTP/1.1\r\nHost: h\r\n\r\n")
        probe.read(until: { (parseEvents($0).events.last?.id.flatMap(UInt64.init) ?? 0) >= last + 4 }, timeout: 3)
        let b = try Client(port: daemon.port)
        b.send("GET /events?units=1 HTTP/1.1\r\nHost: h\r\nLast-Event-ID: \(last)\r\n\r\n")
        b.read(until: { parseEvents($0).events.filter { $0.event == "units" }.count >= 4 }, timeout: 3)
        let replayed = parseEvents(b.text).events
        let metricIDs = replayed.filter { $0.event == "metrics" }.compactMap { $0.id.flatMap(UInt64.init) }
        let unitIDs = replayed.filter { $0.event == "units" }.compactMap { $0.id.flatMap(UInt64.init) }
        #expect(metricIDs.prefix(4) == [last + 1, last + 2, last + 3, last + 4][...], "\(metricIDs)")
        #expect(unitIDs.prefix(4) == metricIDs.prefix(4), "units \(unitIDs) metrics \(metricIDs)")
        withExtendedLifetime(probe) {}
    }

    @Test func anUnreadableCgroupRootIsAFailingSourceAnd503() throws {
        let daemon = try Daemon(["--interval", "0.1", "--cgroup-root", "/nonexistent/cgroup"])
        defer { daemon.stop() }
        let (status, body) = try get(daemon.port, "/units")
        #expect(status == 503)
        #expect(body.contains("no per-unit view"))
        let c = try Client(port: daemon.port)
        c.send("GET /events?units=1 HTTP/1.1\r\nHost: h\r\n\r\n")
        c.read(until: { parseEvents($0).events.contains { $0.event == "error" } }, timeout: 3)
        let error = parseEvents(c.text).events.first { $0.event == "error" }?.json
        #expect(error?["source"] as? String == "cgroup")
        #expect(error?["fields"] as? [String] == ["units"])
        #expect((try get(daemon.port, "/healthz")).0 == 503)
    }
}
