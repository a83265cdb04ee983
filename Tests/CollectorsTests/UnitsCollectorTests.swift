import Foundation
import Glibc
import ProcFS
import ProcParsers
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

    /// A file a unit lacks is looked for again every 10 s, not at every tick: a controller
    /// enabled at run time shows within that, and the ticks between cost no failed opens.
    @Test func aFileAUnitLackedIsFoundWithinTenSeconds() throws {
        let tree = try ProcTree(copying: "cgroup-v2")
        let units = UnitsCollector(cgroupRoot: tree.path)
        #expect(sample(try units.collect(nowNanos: 100 * Self.second).get(), "no-memory.service")?.memory == nil)
        #expect(FileManager.default.createFile(atPath: "\(tree.path)/system.slice/system-nomem.slice/no-memory.service/memory.current",
                                               contents: Data("4096\n".utf8)))   // the memory controller enabled
        var seenAt: UInt64?
        for t in 101...112 where seenAt == nil {
            if sample(try units.collect(nowNanos: UInt64(t) * Self.second).get(), "no-memory.service")?.memory == 4096 { seenAt = UInt64(t) }
        }
        #expect(seenAt == 110, "found at \(seenAt.map(String.init) ?? "never") s")
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

    /// Discovery lists only directories whose link count says they may hold subdirectories; a
    /// leaf unit that gains one (a delegated manager's own unit) is listed on the next tick, one
    /// that loses it is a leaf again, and a unit new in a slice shows on the next tick.
    @Test func unitsAppearUnderALeafThatGainsChildrenAndInASlice() throws {
        let tree = try ProcTree(copying: "cgroup-v2")
        let units = UnitsCollector(cgroupRoot: tree.path)
        #expect(try units.collect(nowNanos: Self.second).get().count == 16)
        let inner = "\(tree.path)/system.slice/cron.service/inner.scope"
        try FileManager.default.createDirectory(atPath: inner, withIntermediateDirectories: false)
        try tree.write("system.slice/cron.service/inner.scope/cpu.stat", "usage_usec 5\n")
        let added = "\(tree.path)/system.slice/added.service"
        try FileManager.default.createDirectory(atPath: added, withIntermediateDirectories: false)
        try tree.write("system.slice/added.service/cpu.stat", "usage_usec 7\n")
        let second = try units.collect(nowNanos: 2 * Self.second).get()
        #expect(second.count == 18)
        let scope = try #require(sample(second, "inner.scope"))
        #expect(scope.manager == "cron.service" && scope.slice == "-.slice" && scope.counters.cpuMicros == 5)
        #expect(sample(second, "added.service")?.counters.cpuMicros == 7)
        try FileManager.default.removeItem(atPath: inner)
        try FileManager.default.removeItem(atPath: added)
        let third = try units.collect(nowNanos: 3 * Self.second).get()
        #expect(third.count == 16 && sample(third, "inner.scope") == nil && sample(third, "added.service") == nil)
    }

    /// A slice is not listed again while its link count and its names say nothing changed; a
    /// directory that is not a unit leaving as a unit arrives (the same count) is still seen,
    /// and so is a unit arriving beside a symlink (which the link count does not count).
    @Test func swapsAtTheSameCountAndSymlinksAreSeen() throws {
        let tree = try ProcTree(copying: "cgroup-v2")
        let units = UnitsCollector(cgroupRoot: tree.path)
        #expect(try units.collect(nowNanos: Self.second).get().count == 16)
        #expect(try units.collect(nowNanos: 2 * Self.second).get().count == 16)   // unchanged
        // dev-mqueue.mount (not a unit, not entered) goes, swap.service comes: system.slice's
        // link count is what it was.
        try FileManager.default.removeItem(atPath: "\(tree.path)/system.slice/dev-mqueue.mount")
        try FileManager.default.createDirectory(atPath: "\(tree.path)/system.slice/swap.service", withIntermediateDirectories: false)
        try tree.write("system.slice/swap.service/cpu.stat", "usage_usec 3\n")
        let swapped = try units.collect(nowNanos: 3 * Self.second).get()
        #expect(swapped.count == 17 && sample(swapped, "swap.service")?.counters.cpuMicros == 3)
        // A symlink to a unit's directory is listed (as a unit) but not counted by the link
        // count: with it there, a new directory brings the count to the number of names.
        symlink("\(tree.path)/init.scope", "\(tree.path)/machine.slice/linked.scope")
        #expect(try units.collect(nowNanos: 4 * Self.second).get().count == 18)
        try FileManager.default.createDirectory(atPath: "\(tree.path)/machine.slice/new.scope", withIntermediateDirectories: false)
        try tree.write("machine.slice/new.scope/cpu.stat", "usage_usec 4\n")
        let linked = try units.collect(nowNanos: 5 * Self.second).get()
        #expect(linked.count == 19 && sample(linked, "new.scope")?.counters.cpuMicros == 4)
    }

    /// The same on a real cgroup2 tree (kernfs), where a directory's times do not move when a
    /// child cgroup is made or removed: only the link count and the names catch a swap. Runs
    /// where a scratch cgroup can be made (root, a writable cgroup2 mount); skipped elsewhere.
    @Test func onKernfsASwapAtTheSameCountIsSeen() throws {
        let name = "procstream-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        var found: String?
        for mount in ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"] where Glibc.mkdir("\(mount)/\(name)", 0o755) == 0 {
            found = "\(mount)/\(name)"
            break
        }
        guard let root = found else { return }
        var made = [root]
        defer { for dir in made.reversed() { Glibc.rmdir(dir) } }
        func make(_ relative: String) { if Glibc.mkdir("\(root)/\(relative)", 0o755) == 0 { made.append("\(root)/\(relative)") } }
        func remove(_ relative: String) { Glibc.rmdir("\(root)/\(relative)"); made.removeAll { $0 == "\(root)/\(relative)" } }
        // A plain stat: FileManager's attributes also list extended attributes, and on kernfs
        // that gives the directory the attributes that make its times move from then on.
        func links(_ relative: String) -> Int? {
            var st = Glibc.stat()
            return Glibc.lstat("\(root)/\(relative)", &st) == 0 ? Int(st.st_nlink) : nil
        }
        func modified(_ relative: String) -> Int? {
            var st = Glibc.stat()
            return Glibc.lstat("\(root)/\(relative)", &st) == 0 ? st.st_mtim.tv_sec * 1_000_000_000 + st.st_mtim.tv_nsec : nil
        }
        make("system.slice")
        make("system.slice/a.service")
        make("system.slice/dev-x.mount")
        let units = UnitsCollector(cgroupRoot: root)
        guard case .unified = units.reader.layout else { Issue.record("layout \(units.reader.layout)"); return }
        #expect(try units.collect(nowNanos: Self.second).get().map { $0.name } == ["a.service"])
        let (before, time) = (links("system.slice"), modified("system.slice"))
        remove("system.slice/dev-x.mount")
        make("system.slice/b.service")
        #expect(links("system.slice") == before && before == 4)   // what makes this the hard case
        // Nor do the times move (Linux 6.18, a directory never given extended attributes): only
        // the names tell. Not an expectation: a kernel that moves them only makes it easier.
        _ = modified("system.slice") == time
        #expect(try units.collect(nowNanos: 2 * Self.second).get().map { $0.name }.sorted() == ["a.service", "b.service"])
        remove("system.slice/a.service")
        make("system.slice/c.service")
        #expect(try units.collect(nowNanos: 3 * Self.second).get().map { $0.name }.sorted() == ["b.service", "c.service"])
        make("system.slice/b.service/inner.scope")   // a leaf that gains a child
        let inner = try units.collect(nowNanos: 4 * Self.second).get()
        #expect(inner.first { $0.name == "inner.scope" }?.manager == "b.service")
        remove("system.slice/b.service/inner.scope")
    }

    /// `systemctl restart` within a tick: the unit is there at both discoveries, in a new
    /// cgroup (another inode) whose counter is already past the old one. The figure is null for
    /// that tick, not the difference of two unrelated counters, and the new files are read.
    @Test func aUnitRestartedBetweenTwoTicksHasNoFigure() throws {
        let tree = try ProcTree(copying: "cgroup-v2")
        let units = UnitsCollector(cgroupRoot: tree.path)
        try tree.overwrite("system.slice/nginx.service/cpu.stat", "usage_usec 1000\n")
        _ = try units.collect(nowNanos: Self.second).get()
        let dir = "\(tree.path)/system.slice/nginx.service"
        // The old cgroup stays (renamed) while the new one is made: a different inode for sure.
        try FileManager.default.moveItem(atPath: dir, toPath: "\(tree.path)/old-nginx")
        try FileManager.default.copyItem(atPath: "\(tree.path)/old-nginx", toPath: dir)
        try tree.overwrite("system.slice/nginx.service/cpu.stat", "usage_usec 900000\n")
        try tree.overwrite("old-nginx/cpu.stat", "usage_usec 1001\n")
        let restarted = try #require(sample(try units.collect(nowNanos: 2 * Self.second).get(), "nginx.service"))
        #expect(restarted.cpu == nil && restarted.ioRead == nil)
        #expect(restarted.counters.cpuMicros == 900_000)   // the new cgroup's file, not the old one's
        try tree.overwrite("system.slice/nginx.service/cpu.stat", "usage_usec 920000\n")
        let next = try #require(sample(try units.collect(nowNanos: 3 * Self.second).get(), "nginx.service"))
        #expect(next.cpu == 2 / cpus)
    }

    /// Among equal CPU figures (all null on the first tick, all 0 on a quiet one) units come by
    /// manager ("" for the system's) then name, also after the list changed.
    @Test func equalFiguresComeByManagerThenName() throws {
        let tree = try ProcTree(copying: "cgroup-v2")
        let units = UnitsCollector(cgroupRoot: tree.path)
        func byName(_ s: [UnitSample]) -> [String] {
            s.sorted { ($0.manager ?? "", $0.name) < ($1.manager ?? "", $1.name) }.map(\.name)
        }
        let first = try units.collect(nowNanos: Self.second).get()
        #expect(first.map(\.name) == byName(first))
        #expect(first.first?.name == "cpu.service" && first.last?.name == "syncthing.service")
        let quiet = try units.collect(nowNanos: 2 * Self.second).get()
        #expect(quiet.allSatisfy { $0.cpu == 0 } && quiet.map(\.name) == byName(quiet))
        try FileManager.default.createDirectory(atPath: "\(tree.path)/system.slice/aaa.service", withIntermediateDirectories: false)
        try tree.write("system.slice/aaa.service/cpu.stat", "usage_usec 7\n")
        let added = try units.collect(nowNanos: 3 * Self.second).get()
        #expect(added.last?.name == "aaa.service")   // no figure yet: last
        let next = try units.collect(nowNanos: 4 * Self.second).get()
        #expect(next.map(\.name) == byName(next) && next.first?.name == "aaa.service")
    }

    /// A unit gone from the middle of the list, and one new there: every other unit keeps its
    /// previous reading (its rates go on), the new one starts without.
    @Test func otherUnitsKeepTheirRatesWhenTheListChanges() throws {
        let tree = try ProcTree(copying: "cgroup-v2")
        let units = UnitsCollector(cgroupRoot: tree.path)
        _ = try units.collect(nowNanos: Self.second).get()
        try FileManager.default.moveItem(atPath: "\(tree.path)/system.slice/cron.service", toPath: "\(tree.path)/system.slice/cron.mount")
        try FileManager.default.createDirectory(atPath: "\(tree.path)/system.slice/added.service", withIntermediateDirectories: false)
        try tree.write("system.slice/added.service/cpu.stat", "usage_usec 7\n")
        let second = try units.collect(nowNanos: 2 * Self.second).get()
        #expect(second.count == 16 && sample(second, "cron.service") == nil)
        #expect(second.filter { $0.cpu == nil }.map(\.name) == ["added.service"])
        #expect(sample(try units.collect(nowNanos: 3 * Self.second).get(), "added.service")?.cpu == 0)
    }

    /// A unit at the depth bound is listed but its directory is not entered by the walk: it
    /// still gets its identity, so its rates work like any other's.
    @Test func aUnitAtTheDepthBoundHasRates() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("procstream-deep-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let slices = Array(repeating: "a.slice", count: CgroupUnits.maxDepth - 1).joined(separator: "/")
        try FileManager.default.createDirectory(atPath: "\(root)/\(slices)/x.service", withIntermediateDirectories: true)
        try "cpu io memory pids\n".write(toFile: "\(root)/cgroup.controllers", atomically: true, encoding: .utf8)
        try "usage_usec 1000\n".write(toFile: "\(root)/\(slices)/x.service/cpu.stat", atomically: false, encoding: .utf8)
        let units = UnitsCollector(cgroupRoot: root)
        let first = try units.collect(nowNanos: Self.second).get()
        #expect(first.map(\.name) == ["x.service"] && units.truncated)   // the bound was reached
        try "usage_usec 11000\n".write(toFile: "\(root)/\(slices)/x.service/cpu.stat", atomically: false, encoding: .utf8)
        let second = try units.collect(nowNanos: 2 * Self.second).get()
        #expect(second.first?.cpu == 1 / cpus)
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
