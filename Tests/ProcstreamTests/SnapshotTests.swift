import Foundation
import ProcFS
import Testing
@testable import Procstream

@Suite struct SnapshotTests {
    let identity = Identity(host: "h\"ost", version: "0.1.0", intervalSeconds: 1)

    func decode(_ bytes: [UInt8]) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(bytes)) as! [String: Any]
    }

    @Test func fullSnapshotIsValidJSONWithEveryField() throws {
        var tcp = TCPStates()
        tcp.counts[0] = 5
        tcp.counts[9] = 2
        let s = Snapshot(wallMillis: 1_795_618_210_385, cpuPercent: 12.345, corePercents: [CorePercent(id: 0, percent: 10), CorePercent(id: 2, percent: 14.5), CorePercent(id: 3, percent: nil)],
                         memory: MemInfo(totalBytes: 1000, availableBytes: 250),
                         load: LoadAvg(one: 0.5, five: 0.25, fifteen: 0.125, runnable: 2, threads: 300),
                         tcp: tcp, tcpSource: "proc", uptimeSeconds: 12.5, clients: 3, collectMicros: 77, errors: [])
        let bytes = s.json(identity)
        #expect(!bytes.contains(0x0a))  // one line
        let o = try decode(bytes)
        #expect(o["timestamp"] as? String == "2026-11-25T14:50:10.385Z")
        #expect(o["host"] as? String == "h\"ost")
        #expect(o["cpu"] as? Double == 12.35)
        // Keyed by CPU id, in kernel order (cpu1 is offline; cpu3 just came online).
        #expect(text(bytes).contains("\"cpu_cores\":{\"cpu0\":10.00,\"cpu2\":14.50,\"cpu3\":null}"))
        #expect((o["cpu_cores"] as? [String: Any])?["cpu3"] is NSNull)
        #expect(o["memory"] as? Int == 750)
        #expect(o["memory_total"] as? Int == 1000)
        #expect(o["load"] as? [Double] == [0.5, 0.25, 0.13])
        #expect(o["threads"] as? Int == 300)
        #expect(o["threads_running"] as? Int == 2)
        #expect(o["connections"] as? Int == 5)
        let states = o["tcp_states"] as! [String: Int]
        #expect(states["established"] == 5 && states["listen"] == 2 && states.count == 11)
        #expect(o["uptime"] as? Double == 12.5)
        #expect(o["clients"] as? Int == 3)
        #expect(o["collect_us"] as? Int == 77)
        #expect(o["interval"] as? Double == 1)
        #expect(o["tcp_source"] as? String == "proc")
    }

    @Test func failedSourcesAreNull() throws {
        let s = Snapshot(wallMillis: 0, cpuPercent: nil, corePercents: nil, memory: nil, load: nil, tcp: nil,
                         tcpSource: "proc", uptimeSeconds: nil, clients: 0, collectMicros: 1,
                         errors: [SourceError(source: "meminfo", message: "gone")])
        let o = try decode(s.json(identity))
        for key in ["cpu", "cpu_cores", "memory", "memory_total", "load", "threads", "threads_running", "connections", "tcp_states", "uptime"] {
            #expect(o[key] is NSNull, "\(key)")
        }
    }

    @Test func errorEventJSON() throws {
        let o = try JSONSerialization.jsonObject(with: Data(SourceError(source: "net/tcp", message: "a \"b\"").json())) as! [String: String]
        #expect(o == ["source": "net/tcp", "message": "a \"b\""])
    }

    @Test func subSecondIntervalKeepsItsDigits() throws {
        let o = try decode(Snapshot(wallMillis: 0, cpuPercent: nil, corePercents: nil, memory: nil, load: nil, tcp: nil, tcpSource: "proc",
                                    uptimeSeconds: nil, clients: 0, collectMicros: 0, errors: [])
            .json(Identity(host: "h", version: "v", intervalSeconds: 0.25)))
        #expect(o["interval"] as? Double == 0.25)
    }

    /// Cores are paired by CPU id across ticks: after cpu1 goes offline and cpu4 comes online the
    /// count is the same, but no core is compared with another.
    @Test func perCoreFiguresPairCoresByIdNotPosition() {
        func core(_ id: Int, busy: UInt64, idle: UInt64) -> CoreTimes {
            CoreTimes(id: id, times: CPUTimes(user: busy, nice: 0, system: 0, idle: idle))
        }
        let before = [core(0, busy: 100, idle: 100), core(1, busy: 1000, idle: 0), core(2, busy: 100, idle: 100), core(3, busy: 0, idle: 100)]
        let after = [core(0, busy: 150, idle: 150), core(2, busy: 200, idle: 100), core(3, busy: 0, idle: 200), core(4, busy: 5, idle: 5)]
        #expect(Collector.corePercents(after, since: before) == [
            CorePercent(id: 0, percent: 50), CorePercent(id: 2, percent: 100), CorePercent(id: 3, percent: 0), CorePercent(id: 4, percent: nil),
        ])
        // Same count, different set: cpu1 replaced by cpu5 gets no figure rather than cpu1's.
        #expect(Collector.corePercents([core(0, busy: 150, idle: 150), core(5, busy: 1, idle: 1)], since: Array(before.prefix(2))) == [
            CorePercent(id: 0, percent: 50), CorePercent(id: 5, percent: nil),
        ])
        #expect(Collector.corePercents([], since: before).isEmpty)
    }

    @Test func collectorAgainstFixtureTree() throws {
        let root = "\(#filePath)".replacingOccurrences(of: "ProcstreamTests/SnapshotTests.swift", with: "ProcFSTests/Fixtures/linux-4.19-armv7-noipv6")
        var collector = Collector(procRoot: root)
        collector.prime()
        let s = collector.collect(clients: 4)
        #expect(s.errors.isEmpty)
        #expect(s.cpuPercent == 0)           // same file twice: no time passed
        #expect(s.corePercents?.map(\.id) == [0, 1, 2, 3])
        #expect(s.tcp?.established == 2)
        #expect(s.load?.threads == 198)
        #expect(s.clients == 4)
    }

    @Test func collectorReportsEachFailingSourceAndKeepsTheRest() throws {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("procstream-\(UUID())")
        let src = "\(#filePath)".replacingOccurrences(of: "ProcstreamTests/SnapshotTests.swift", with: "ProcFSTests/Fixtures/linux-6.18-x86_64")
        try FileManager.default.copyItem(atPath: src, toPath: tmp.path)
        defer { try? FileManager.default.removeItem(at: tmp) }
        var collector = Collector(procRoot: tmp.path)
        collector.prime()
        try FileManager.default.removeItem(at: tmp.appendingPathComponent("meminfo"))
        try "garbage".write(to: tmp.appendingPathComponent("loadavg"), atomically: true, encoding: .utf8)
        let s = collector.collect(clients: 0)
        #expect(s.errors.map(\.source) == ["meminfo", "loadavg"])
        #expect(s.memory == nil && s.load == nil)
        #expect(s.cpuPercent != nil && s.tcp?.established == 10 && s.uptimeSeconds != nil)
    }
}
