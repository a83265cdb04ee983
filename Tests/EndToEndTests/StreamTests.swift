import Foundation
import Glibc
import Testing

/// The real binary on a free loopback port.
@Suite(.serialized) struct StreamTests {
    static let subscribe = "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"

    @Test func headersThenFirstEventAtOnceThenOnePerTick() throws {
        let daemon = try Daemon(["--interval", "1"])
        defer { daemon.stop() }
        let client = try Client(port: daemon.port)
        let connected = Date()
        client.send(Self.subscribe)
        client.read(until: { parseEvents($0).events.count >= 1 }, timeout: 2)
        let firstAfter = Date().timeIntervalSince(connected)
        #expect(firstAfter < 0.5, "first event took \(firstAfter) s")
        guard let head = responseHead(client.text) else { Issue.record("no head: \(client.text)"); return }
        #expect(head.status == 200)
        #expect(head.headers["content-type"] == "text/event-stream")
        #expect(head.headers["cache-control"] == "no-cache")
        #expect(head.headers["connection"] == "keep-alive")
        #expect(head.headers["transfer-encoding"] == "chunked")
        #expect(head.headers["content-length"] == nil)
        #expect(head.headers["x-accel-buffering"] == "no")
        #expect(parseEvents(client.text).retry == 2000)
        // The very first event already has a real CPU percentage (a baseline is taken before it).
        #expect(parseEvents(client.text).events.first?.json?["cpu"] is Double)

        client.read(until: { parseEvents($0).events.count >= 5 }, timeout: 4.6)
        let events = parseEvents(client.text).events
        #expect(events.count >= 5, "got \(events.count) events in ~4.5 s")
        let ids = events.compactMap { $0.id.flatMap(UInt64.init) }
        #expect(ids.count == events.count)
        #expect(zip(ids, ids.dropFirst()).allSatisfy { $1 == $0 + 1 }, "ids \(ids)")
        #expect(events.allSatisfy { $0.event == "metrics" })
        #expect(daemon.stop().status == 0)
    }

    /// HTTP/1.1: one chunk per tick, each holding whole events, and the last chunk on a clean
    /// stop, so a client can tell a clean end from a truncated one.
    @Test func http11StreamIsChunkedOneChunkPerTickAndEndsWithTheLastChunk() throws {
        let daemon = try Daemon(["--interval", "0.1"])
        let c = try Client(port: daemon.port)
        c.send("GET /events HTTP/1.1\r\nHost: h\r\n\r\n")
        c.read(until: { parseEvents($0).events.count >= 4 }, timeout: 3)
        let raw = c.buffer[(c.buffer.firstRange(of: Array("\r\n\r\n".utf8))!.upperBound)...]
        // Walk the chunks by hand: each one decodes to complete SSE blocks (ends with a blank line).
        var i = raw.startIndex, chunks: [String] = []
        while let lf = raw[i...].firstIndex(of: 0x0a), let size = Int(String(decoding: raw[i..<(lf - 1)], as: UTF8.self), radix: 16),
              raw.endIndex - (lf + 1) >= size + 2 {
            chunks.append(String(decoding: raw[(lf + 1)..<(lf + 1 + size)], as: UTF8.self))
            i = lf + 1 + size + 2
        }
        #expect(chunks.count >= 4)
        #expect(chunks.first == "retry: 2000\n\n")
        #expect(chunks.dropFirst().allSatisfy { $0.hasPrefix("id: ") && $0.hasSuffix("\n\n") && $0.components(separatedBy: "event: metrics").count == 2 },
                "\(chunks)")
        #expect(daemon.stop().status == 0)
        #expect(c.readToEOF(timeout: 1))
        let body = responseBody(c.text)
        #expect(body?.ended == true, "no last chunk before the close")
        #expect(c.text.hasSuffix(": procstreamd is shutting down\n\n\r\n0\r\n\r\n"))
    }

    /// HTTP/1.0 has no chunked coding: the body ends at the close, and the head says so.
    @Test func http10StreamIsCloseDelimited() throws {
        let daemon = try Daemon(["--interval", "0.1"])
        let c = try Client(port: daemon.port)
        c.send("GET /events HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        c.read(until: { parseEvents($0).events.count >= 3 }, timeout: 3)
        guard let head = responseHead(c.text) else { Issue.record("no head"); return }
        #expect(head.headers["connection"] == "close")
        #expect(head.headers["transfer-encoding"] == nil)
        #expect(responseBody(c.text)?.body.hasPrefix("retry: 2000\n\nid: ") == true)
        #expect(parseEvents(c.text).events.count >= 3)
        #expect(daemon.stop().status == 0)
        #expect(c.readToEOF(timeout: 1))
        #expect(c.text.hasSuffix("\n\n: procstreamd is shutting down\n\n"))
    }

    @Test func valuesAreSaneAgainstProc() throws {
        let daemon = try Daemon(["--interval", "0.2"])
        defer { daemon.stop() }
        let client = try Client(port: daemon.port)
        client.send(Self.subscribe)
        client.read(until: { parseEvents($0).events.count >= 3 }, timeout: 3)
        guard let o = parseEvents(client.text).events.last?.json else { Issue.record("no JSON event"); return }
        let memTotalKB = procFile("meminfo").split(separator: "\n").first { $0.hasPrefix("MemTotal:") }!
            .split(separator: " ")[1]
        #expect(o["memory_total"] as? Int == Int(memTotalKB)! * 1024)
        let memory = o["memory"] as! Int
        #expect(memory > 0 && memory < Int(memTotalKB)! * 1024)
        let cpu = o["cpu"] as! Double
        #expect(cpu >= 0 && cpu <= 100)
        // Keyed by the kernel's CPU ids: the same set as /proc/stat's cpuN lines.
        let cores = o["cpu_cores"] as! [String: Double]
        let statCores = procFile("stat").split(separator: "\n").filter { $0.hasPrefix("cpu") && !$0.hasPrefix("cpu ") }.map { String($0.split(separator: " ")[0]) }
        #expect(Set(cores.keys) == Set(statCores))
        #expect(cores.count == sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #expect(cores.values.allSatisfy { $0 >= 0 && $0 <= 100 })
        let hostThreads = Int(procFile("loadavg").split(separator: " ")[3].split(separator: "/")[1])!
        let threads = o["threads"] as! Int
        #expect(abs(threads - hostThreads) < max(50, hostThreads / 5), "threads \(threads) vs \(hostThreads)")
        // This very subscription is an established connection, seen from both ends.
        #expect((o["connections"] as! Int) >= 2)
        #expect((o["tcp_states"] as! [String: Int])["listen"]! >= 1)
        #expect(o["clients"] as? Int == 1)
        #expect((o["collect_us"] as! Int) > 0)
        #expect((o["uptime"] as! Double) > 0)
        #expect((o["timestamp"] as! String).hasSuffix("Z"))
        #expect((o["host"] as? String)?.isEmpty == false)
    }

    @Test func failingSourceSendsErrorEventAndStreamRecovers() throws {
        // A copy of a whole fixture tree: every source has its file, whatever sources there are.
        let tree = FileManager.default.temporaryDirectory.appendingPathComponent("procstream-e2e-\(UUID())")
        try FileManager.default.copyItem(at: fixtureTree("linux-6.18-x86_64"), to: tree)
        defer { try? FileManager.default.removeItem(at: tree) }
        let daemon = try Daemon(["--interval", "0.1", "--proc-root", tree.path])
        defer { daemon.stop() }
        let client = try Client(port: daemon.port)
        client.send(Self.subscribe)
        client.read(until: { parseEvents($0).events.count >= 2 }, timeout: 2)
        #expect(!parseEvents(client.text).events.contains { $0.event == "error" })

        try FileManager.default.removeItem(at: tree.appendingPathComponent("meminfo"))
        client.read(until: { parseEvents($0).events.contains { $0.event == "error" } }, timeout: 2)
        var events = parseEvents(client.text).events
        guard let errorIndex = events.firstIndex(where: { $0.event == "error" }) else { Issue.record("no error event"); return }
        let error = events[errorIndex].json!
        #expect(error["source"] as? String == "meminfo")
        #expect((error["message"] as? String)?.contains("No such file") == true)
        #expect(error["fields"] as? [String] == ["memory", "memory_total"])
        // The metrics event of the same tick still carries the sources that worked.
        let sameTick = events[errorIndex - 1].json!
        #expect(sameTick["memory"] is NSNull)
        #expect(sameTick["threads"] as? Int != nil)
        try daemon.waitFor("source meminfo failed", timeout: 2)

        try procFile("meminfo").write(to: tree.appendingPathComponent("meminfo"), atomically: true, encoding: .utf8)
        try daemon.waitFor("source meminfo recovered", timeout: 2)
        let before = events.count
        client.read(until: { parseEvents($0).events.count >= before + 6 }, timeout: 2)
        events = parseEvents(client.text).events
        #expect(events.last?.event == "metrics")
        #expect(events.last?.json?["memory"] as? Int != nil)
        #expect(daemon.log.components(separatedBy: "source meminfo failed").count == 2, "logged once per failure, not per tick")
    }

    @Test func fiftyClientsComeAndGoWithoutLeakingDescriptors() throws {
        let daemon = try Daemon(["--interval", "0.05"])
        defer { daemon.stop() }
        // Let the first connections settle the baseline (epoll, timers, listener).
        let baseline = daemon.openDescriptors
        var clients: [Client] = []
        for _ in 0..<50 {
            let c = try Client(port: daemon.port)
            c.send(Self.subscribe)
            clients.append(c)
        }
        for c in clients { c.read(until: { parseEvents($0).events.count >= 1 }, timeout: 2) }
        #expect(clients.allSatisfy { parseEvents($0.text).events.count >= 1 })
        #expect(daemon.openDescriptors >= baseline + 50)
        clients.removeAll()   // closes all 50
        let deadline = Date().addingTimeInterval(3)
        while daemon.openDescriptors != baseline && Date() < deadline { usleep(20_000) }
        #expect(daemon.openDescriptors == baseline)
        // And half-written requests that are abandoned are freed too.
        for _ in 0..<20 { try Client(port: daemon.port).send("GET /eve") }
        let deadline2 = Date().addingTimeInterval(3)
        while daemon.openDescriptors != baseline && Date() < deadline2 { usleep(20_000) }
        #expect(daemon.openDescriptors == baseline)
    }

    @Test func subscriberLimit() throws {
        let daemon = try Daemon(["--max-clients", "2"])
        defer { daemon.stop() }
        let a = try Client(port: daemon.port), b = try Client(port: daemon.port)
        a.send(Self.subscribe); b.send(Self.subscribe)
        a.read(until: { parseEvents($0).events.count >= 1 }, timeout: 2)
        b.read(until: { parseEvents($0).events.count >= 1 }, timeout: 2)
        let c = try Client(port: daemon.port)
        c.send(Self.subscribe)
        #expect(c.readToEOF(timeout: 2))
        #expect(responseHead(c.text)?.status == 503)
        #expect(responseHead(c.text)?.headers["retry-after"] == "5")
        try daemon.waitFor("subscriber limit", timeout: 2)
    }

    @Test func ipv6Loopback() throws {
        let daemon = try Daemon([], listen: "[::1]:0")
        defer { daemon.stop() }
        let client = try Client(port: daemon.port, host: "::1")
        client.send("GET /snapshot HTTP/1.0\r\n\r\n")
        #expect(client.readToEOF(timeout: 2))
        #expect(responseHead(client.text)?.status == 200)
    }
}

/// On its own so its 15 s of waiting overlaps the other suites.
@Suite struct HeartbeatTests {
    @Test func heartbeatCommentWhenNothingElseWasSentFor15Seconds() throws {
        // Ticks every 20 s: between them, a ": keepalive" comment must come at about 15 s.
        let daemon = try Daemon(["--interval", "20"])
        defer { daemon.stop() }
        let client = try Client(port: daemon.port)
        client.send("GET /events HTTP/1.1\r\nHost: h\r\n\r\n")
        client.read(until: { parseEvents($0).events.count >= 1 }, timeout: 2)
        let start = Date()
        client.read(until: { parseEvents($0).comments.contains("keepalive") }, timeout: 18)
        let after = Date().timeIntervalSince(start)
        #expect(parseEvents(client.text).comments.contains("keepalive"))
        #expect(after > 12 && after < 17.5, "keepalive after \(after) s")
    }
}
