import Foundation
import Glibc
import ProcFS
import Testing
@testable import Collectors

/// The per-unit view against the cgroup fixture trees, with counters rewritten between ticks so
/// every figure is checked exactly.
@Suite struct UnitsCollectorTests {
    static let second: UInt64 = 1_000_000_000
    let cpus = Double(max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    func sample(_ samples: [UnitSample], _ name: String) -> UnitSample? { samples.first { $0.name == name } }

    @Test func v2RatesFromCountersThatChangeBetweenTicks() throws {
        let tree = try ProcTree(copying: "cgroup-v2")
        let units = UnitsCollector(cgroupRoot: tree.path)
        let first = try units.collect(nowNanos: 10 * Self.second).get()
        #expect(first.count == 16)
        #expect(first.allSatisfy { $0.cpu == nil && $0.ioRead == nil })   // no earlier reading yet
        let nginx = try #require(sample(first, "nginx.service"))
        #expect(nginx.slice == "system.slice" && nginx.memory == 38_158_336 && nginx.memoryAnon == 14_680_064 && nginx.tasks == 3)
        // One second later: nginx used 0.5 s of CPU and read 1 MiB, wrote 4 KiB.
        try tree.overwrite("system.slice/nginx.service/cpu.stat", "usage_usec 48711907\nuser_usec 30199442\nsystem_usec 18512465\n")
        try tree.overwrite("system.slice/nginx.service/io.stat",
                       "259:0 rbytes=21495808 wbytes=4196352 rios=1211 wios=389 dbytes=0 dios=0\n254:0 rbytes=21495808 wbytes=4196352 rios=1210 wios=388 dbytes=0 dios=0\n")
        let second = try units.collect(nowNanos: 11 * Self.second).get()
        let n = try #require(sample(second, "nginx.service"))
        #expect(n.cpu == 50 / cpus)                       // percent of all CPUs, like the host's cpu
        #expect(n.ioRead == 1_048_576 && n.ioWrite == 4096)
        #expect(second.first?.name == "nginx.service")    // highest CPU first
        let json = String(decoding: UnitsCollector.json(n), as: UTF8.self)
        #expect(json.hasPrefix(#"{"unit":"nginx.service","slice":"system.slice","manager":null,"cpu":"#))
        #expect(json.contains(#""memory":38158336,"memory_anon":14680064,"tasks":3,"io_read":1048576.0,"io_write":4096.0,"pressure":{"cpu":"#))
    }

    @Test func fieldsAUnitLacksAreNullAndEscapedNamesAreUnescaped() throws {
        let units = UnitsCollector(cgroupRoot: fixture("cgroup-v2"))
        let s = try units.collect(nowNanos: Self.second).get()
        let noMemory = try #require(sample(s, "no-memory.service"))
        #expect(noMemory.memory == nil && noMemory.memoryAnon == nil && noMemory.tasks != nil)
        #expect(sample(s, "no-io.service")?.counters.io == nil)
        #expect(sample(s, "cpu.service") != nil && sample(s, "_cpu.service") == nil)
        #expect(sample(s, "user@1000.service")?.slice == "user-1000.slice")
        #expect(String(decoding: UnitsCollector.json(noMemory), as: UTF8.self).contains(#""memory":null,"memory_anon":null"#))
    }

    /// A restarted unit is a new cgroup whose counters start again: no figure for that tick,
    /// never a negative or a giant one; a stopped unit is gone.
    @Test func aRestartedUnitHasNoFigureForOneTickAndAStoppedOneGoes() throws {
        let tree = try ProcTree(copying: "cgroup-v2")
        let units = UnitsCollector(cgroupRoot: tree.path)
        _ = units.collect(nowNanos: Self.second)
        let dir = "\(tree.path)/system.slice/nginx.service"
        let saved = "\(tree.path)/saved-nginx"
        try FileManager.default.moveItem(atPath: dir, toPath: saved)          // stopped
        #expect(try units.collect(nowNanos: 2 * Self.second).get().contains { $0.name == "nginx.service" } == false)
        try FileManager.default.moveItem(atPath: saved, toPath: dir)          // started again, counters from zero
        try tree.overwrite("system.slice/nginx.service/cpu.stat", "usage_usec 1000\n")
        let back = try #require(sample(try units.collect(nowNanos: 3 * Self.second).get(), "nginx.service"))
        #expect(back.cpu == nil)
        try tree.overwrite("system.slice/nginx.service/cpu.stat", "usage_usec 21000\n")
        let next = try #require(sample(try units.collect(nowNanos: 4 * Self.second).get(), "nginx.service"))
        #expect(next.cpu == 2 / cpus)
    }

    @Test func hybridV1TreeFromTheControllerHierarchies() throws {
        let units = UnitsCollector(cgroupRoot: fixture("cgroup-hybrid"))
        guard case .hybrid = units.reader.layout else { Issue.record("layout \(units.reader.layout)"); return }
        let s = try units.collect(nowNanos: Self.second).get()
        #expect(s.count == 11)
        #expect(s.contains { $0.name == "no-memory.service" && $0.memory == nil })
        #expect(s.contains { $0.memory != nil && $0.tasks != nil && $0.counters.cpuMicros != nil })
    }

    @Test func anUnreadableRootIsASourceFailure() {
        let units = UnitsCollector(cgroupRoot: "/nonexistent/cgroup")
        guard case .failure(let e) = units.collect(nowNanos: 1) else { Issue.record("expected a failure"); return }
        #expect(e.source == "cgroup")
    }
}
