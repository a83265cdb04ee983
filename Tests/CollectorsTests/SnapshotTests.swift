import Foundation
import ProcFS
import ProcParsers
import Testing
@testable import Collectors

func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

func fixture(_ name: String) -> String {
    "\(#filePath)".replacingOccurrences(of: "CollectorsTests/SnapshotTests.swift", with: "ProcFSTests/Fixtures/\(name)")
}

func decode(_ bytes: [UInt8]) throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(bytes)) as! [String: Any]
}

/// A proc tree in a temporary directory, copied from a fixture, whose files a test rewrites
/// between collections.
final class ProcTree {
    let path: String
    init(copying name: String) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("procstream-\(UUID())").path
        try FileManager.default.copyItem(atPath: fixture(name), toPath: path)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func write(_ name: String, _ text: String) throws {
        try text.write(toFile: "\(path)/\(name)", atomically: true, encoding: .utf8)
    }
    func remove(_ name: String) throws { try FileManager.default.removeItem(atPath: "\(path)/\(name)") }
    /// Rewrites a file in place (same inode), as the kernel's counters change: a descriptor kept
    /// open sees the new content (an atomic write would replace the file under it).
    func overwrite(_ name: String, _ text: String) throws {
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: "\(path)/\(name)"))
        try h.truncate(atOffset: 0)
        try h.write(contentsOf: Data(text.utf8))
        try h.close()
    }
}

/// The keys of a JSON object's top level, in order (JSONSerialization loses the order).
func topLevelKeys(_ json: String) -> [String] {
    var keys: [String] = [], depth = 0, inString = false, escaped = false, current = "", last: String?
    for ch in json {
        if inString {
            if escaped { escaped = false; current.append(ch) } else if ch == "\\" { escaped = true } else if ch == "\"" { inString = false; last = current } else { current.append(ch) }
            continue
        }
        switch ch {
        case "\"": inString = true; current = ""
        case "{", "[": depth += 1; last = nil
        case "}", "]": depth -= 1; last = nil
        case ":": if depth == 1, let k = last { keys.append(k) }; last = nil
        default: if ch != " " { last = nil }
        }
    }
    return keys
}

@Suite struct SnapshotTests {
    let identity = Identity(host: "h\"ost", version: "0.1.0", intervalSeconds: 1)

    @Test func everyFieldInRegistryOrderAsValidJSON() throws {
        var registry = Registry.standard(procRoot: fixture("linux-6.18-x86_64"))
        registry.prime()
        let s = registry.snapshot(identity, clients: 3)
        #expect(s.errors.isEmpty)
        #expect(!s.json.contains(0x0a))  // one line
        let o = try decode(s.json)
        #expect(o["host"] as? String == "h\"ost")
        #expect(o["clients"] as? Int == 3)
        #expect(o["interval"] as? Double == 1)
        // Field order: identity, then each collector's fields in registry order, then ours.
        let keys = topLevelKeys(text(s.json))
        let top = ["timestamp", "host", "version", "interval"] + registry.fields + ["clients", "collect_us"]
        #expect(keys == top)
        #expect(registry.names == ["cpu", "memory", "load", "tcp", "uptime", "pressure", "network", "disk"])
    }

    @Test func aFailingSourceNullsExactlyItsFieldsAndSaysWhich() throws {
        let tree = try ProcTree(copying: "linux-6.18-x86_64")
        var registry = Registry.standard(procRoot: tree.path)
        registry.prime()
        try tree.remove("meminfo")
        try tree.write("loadavg", "garbage")
        let s = registry.snapshot(identity, clients: 0)
        #expect(s.errors.map(\.source) == ["meminfo", "loadavg"])
        #expect(s.errors.map(\.fields) == [["memory", "memory_total"], ["load", "threads", "threads_running"]])
        let o = try decode(s.json)
        for key in ["memory", "memory_total", "load", "threads", "threads_running"] { #expect(o[key] is NSNull, "\(key)") }
        #expect(o["cpu"] is Double && o["connections"] as? Int == 10 && o["uptime"] is Double)
        let event = try JSONSerialization.jsonObject(with: Data(s.errors[0].json())) as! [String: Any]
        #expect(event["source"] as? String == "meminfo")
        #expect(event["fields"] as? [String] == ["memory", "memory_total"])
        #expect((event["message"] as? String)?.contains("No such file") == true)
    }

    @Test func subSecondIntervalKeepsItsDigits() throws {
        let registry = Registry(procRoot: "/nonexistent", [])
        let o = try decode(registry.json(Identity(host: "h", version: "v", intervalSeconds: 0.25), wallMillis: 1_795_618_210_385, clients: 0, collectMicros: 7))
        #expect(o["interval"] as? Double == 0.25)
        #expect(o["timestamp"] as? String == "2026-11-25T14:50:10.385Z")
        #expect(o["collect_us"] as? Int == 7)
    }
}

@Suite struct CoreCollectorTests {
    /// Cores are paired by CPU id across ticks: after cpu1 goes offline and cpu4 comes online the
    /// count is the same, but no core is compared with another.
    @Test func perCoreFiguresPairCoresByIdNotPosition() {
        func core(_ id: Int, busy: UInt64, idle: UInt64) -> CoreTimes {
            CoreTimes(id: id, times: CPUTimes(user: busy, nice: 0, system: 0, idle: idle))
        }
        func pairs(_ now: [CoreTimes], _ then: [CoreTimes]) -> [String] {
            CPUCollector.corePercents(now, since: then).map { "cpu\($0.id)=\($0.percent.map { String($0) } ?? "nil")" }
        }
        let before = [core(0, busy: 100, idle: 100), core(1, busy: 1000, idle: 0), core(2, busy: 100, idle: 100), core(3, busy: 0, idle: 100)]
        let after = [core(0, busy: 150, idle: 150), core(2, busy: 200, idle: 100), core(3, busy: 0, idle: 200), core(4, busy: 5, idle: 5)]
        #expect(pairs(after, before) == ["cpu0=50.0", "cpu2=100.0", "cpu3=0.0", "cpu4=nil"])
        // Same count, different set: cpu1 replaced by cpu5 gets no figure rather than cpu1's.
        #expect(pairs([core(0, busy: 150, idle: 150), core(5, busy: 1, idle: 1)], Array(before.prefix(2))) == ["cpu0=50.0", "cpu5=nil"])
        #expect(pairs([], before).isEmpty)
    }

    @Test func cpuFiguresFromCountersThatChangeBetweenTicks() throws {
        let tree = try ProcTree(copying: "linux-6.18-x86_64")
        try tree.write("stat", "cpu  100 0 0 100 0 0 0 0 0 0\ncpu0 50 0 0 50 0 0 0 0 0 0\ncpu1 50 0 0 50 0 0 0 0 0 0\n")
        var registry = Registry(procRoot: tree.path, [CPUCollector()])
        #expect(registry.collect().isEmpty)
        #expect(registry.value(of: CPUCollector.self) == nil)   // no earlier reading: no figure yet
        try tree.write("stat", "cpu  175 0 0 125 0 0 0 0 0 0\ncpu0 100 0 0 50 0 0 0 0 0 0\ncpu1 75 0 0 75 0 0 0 0 0 0\n")
        #expect(registry.collect().isEmpty)
        let v = try #require(registry.value(of: CPUCollector.self))
        #expect(v.percent == 75)
        #expect(v.cores.map(\.id) == [0, 1] && v.cores.map(\.percent) == [100, 50])
        var w = JSONWriter()
        w.beginObject(); registry.write(to: &w); w.endObject()
        #expect(text(w.bytes) == "{\"cpu\":75.00,\"cpu_cores\":{\"cpu0\":100.00,\"cpu1\":50.00}}")
    }
}
