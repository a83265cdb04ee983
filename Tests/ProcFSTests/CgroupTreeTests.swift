import Glibc
import Testing
@testable import ProcFS
@testable import ProcParsers

/// The cgroup fixture trees (Fixtures/cgroup-v2, Fixtures/cgroup-hybrid): layout detection, unit
/// discovery over them, and their files read through the daemon's reader and the parsers.

/// The entries of a directory (symlinks followed), or nil if it cannot be opened.
func directoryEntries(_ path: String) -> [(name: String, isDirectory: Bool)]? {
    guard let dir = opendir(path) else { return nil }
    defer { closedir(dir) }
    var entries: [(String, Bool)] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name == "." || name == ".." { continue }
        var st = stat()
        let isDirectory = stat(path + "/" + name, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
        entries.append((name, isDirectory))
    }
    return entries
}

/// `children` for `CgroupUnits.discover` over a real directory.
func subdirectories(of root: String) -> (String) -> [String] {
    { path in (directoryEntries(path.isEmpty ? root : root + "/" + path) ?? []).filter(\.isDirectory).map(\.name) }
}

struct Unit: Equatable, CustomStringConvertible {
    let name: String, path: String, slice: String, manager: String?
    init(_ u: CgroupUnit) { (name, path, slice, manager) = (u.name, u.path, u.slice, u.manager) }
    init(_ name: String, _ path: String, _ slice: String, _ manager: String? = nil) {
        (self.name, self.path, self.slice, self.manager) = (name, path, slice, manager)
    }
    var description: String { "\(name) \(path) \(slice) \(manager ?? "-")" }
}

@Suite struct CgroupLayoutTests {
    @Test func unifiedFixture() throws {
        let entries = try #require(directoryEntries(fixture("cgroup-v2"))).map(\.name)
        let layout = CgroupLayout.detect(entriesAtRoot: entries)
        #expect(layout == .unified)
        #expect(layout.unitTree == "")
    }

    /// systemd's hybrid mounts: `cpu,cpuacct` with the symlinks `cpu` and `cpuacct` to it.
    @Test func hybridFixture() throws {
        let entries = try #require(directoryEntries(fixture("cgroup-hybrid"))).map(\.name)
        let layout = CgroupLayout.detect(entriesAtRoot: entries)
        #expect(layout == .hybrid(CgroupV1Hierarchies(cpuacct: "cpuacct", memory: "memory", pids: "pids", blkio: "blkio",
                                                      systemd: "systemd", unified: "unified")))
        #expect(layout.unitTree == "systemd")
    }

    @Test func fromNames() {
        // This machine: cpu and cpuacct mounted apart, no symlinks.
        let here = ["blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "memory", "pids", "systemd", "unified"]
        #expect(CgroupLayout.detect(entriesAtRoot: here)
            == .hybrid(CgroupV1Hierarchies(cpuacct: "cpuacct", memory: "memory", pids: "pids", blkio: "blkio", systemd: "systemd", unified: "unified")))
        // Legacy, co-mounted controllers without the symlinks, in either order.
        #expect(CgroupLayout.detect(entriesAtRoot: ["cpu,cpuacct", "memory", "systemd"])
            == .legacy(CgroupV1Hierarchies(cpuacct: "cpu,cpuacct", memory: "memory", systemd: "systemd")))
        #expect(CgroupLayout.detect(entriesAtRoot: ["cpuacct,cpu", "blkio"]) == .legacy(CgroupV1Hierarchies(cpuacct: "cpuacct,cpu", blkio: "blkio")))
        #expect(CgroupLayout.detect(entriesAtRoot: ["cpuacct,cpu", "blkio"]).unitTree == nil)   // no systemd
        // A cgroup2 root wins over anything beside it.
        #expect(CgroupLayout.detect(entriesAtRoot: ["cgroup.procs", "cgroup.controllers", "memory", "system.slice"]) == .unified)
        for unknown: [String] in [[], ["unified"], ["cgroup.procs"], ["foo", "cpu,foo"], [","]] {
            #expect(CgroupLayout.detect(entriesAtRoot: unknown) == .unknown, "\(unknown)")
        }
    }

    /// This machine's /sys/fs/cgroup (hybrid at the time of writing): one of the known layouts.
    @Test func liveSysFsCgroup() throws {
        guard let entries = directoryEntries("/sys/fs/cgroup") else { return }   // no /sys in this sandbox
        let layout = CgroupLayout.detect(entriesAtRoot: entries.map(\.name))
        switch layout {
        case .unified, .hybrid, .legacy: break
        case .unknown: Issue.record("unknown layout for \(entries.map(\.name))")
        }
    }
}

@Suite struct CgroupDiscoveryTests {
    @Test func unifiedFixture() {
        let found = CgroupUnits.discover(children: subdirectories(of: fixture("cgroup-v2")))
        let u1000 = "user.slice/user-1000.slice/user@1000.service"
        let expected = [
            Unit("init.scope", "init.scope", "-.slice"),
            Unit("machine-qemu\\x2d1\\x2ddebian12.scope", "machine.slice/machine-qemu\\x2d1\\x2ddebian12.scope", "machine.slice"),
            Unit("cpu.service", "system.slice/_cpu.service", "system.slice"),
            Unit("cron.service", "system.slice/cron.service", "system.slice"),
            Unit("nginx.service", "system.slice/nginx.service", "system.slice"),
            Unit("postgresql@15-main.service", "system.slice/postgresql@15-main.service", "system.slice"),
            Unit("ssh.service", "system.slice/ssh.service", "system.slice"),
            Unit("getty@tty1.service", "system.slice/system-getty.slice/getty@tty1.service", "system-getty.slice"),
            Unit("no-io.service", "system.slice/system-noio.slice/no-io.service", "system-noio.slice"),
            Unit("no-memory.service", "system.slice/system-nomem.slice/no-memory.service", "system-nomem.slice"),
            Unit("systemd-journald.service", "system.slice/systemd-journald.service", "system.slice"),
            Unit("session-2.scope", "user.slice/user-1000.slice/session-2.scope", "user-1000.slice"),
            Unit("user@1000.service", u1000, "user-1000.slice"),
            Unit("syncthing.service", u1000 + "/app.slice/syncthing.service", "app.slice", "user@1000.service"),
            Unit("init.scope", u1000 + "/init.scope", "-.slice", "user@1000.service"),
            Unit("dbus.service", u1000 + "/session.slice/dbus.service", "session.slice", "user@1000.service"),
        ]
        #expect(found.units.map(Unit.init) == expected)
        #expect(!found.truncated)
    }

    /// On v1 the unit tree is systemd's named hierarchy.
    @Test func hybridFixture() {
        let found = CgroupUnits.discover(children: subdirectories(of: fixture("cgroup-hybrid/systemd")))
        let u1000 = "user.slice/user-1000.slice/user@1000.service"
        #expect(found.units.map(Unit.init) == [
            Unit("init.scope", "init.scope", "-.slice"),
            Unit("cpu.service", "system.slice/_cpu.service", "system.slice"),
            Unit("cron.service", "system.slice/cron.service", "system.slice"),
            Unit("nginx.service", "system.slice/nginx.service", "system.slice"),
            Unit("postgresql@15-main.service", "system.slice/postgresql@15-main.service", "system.slice"),
            Unit("ssh.service", "system.slice/ssh.service", "system.slice"),
            Unit("no-memory.service", "system.slice/system-nomem.slice/no-memory.service", "system-nomem.slice"),
            Unit("session-2.scope", "user.slice/user-1000.slice/session-2.scope", "user-1000.slice"),
            Unit("user@1000.service", u1000, "user-1000.slice"),
            Unit("syncthing.service", u1000 + "/app.slice/syncthing.service", "app.slice", "user@1000.service"),
            Unit("init.scope", u1000 + "/init.scope", "-.slice", "user@1000.service"),
        ])
        #expect(!found.truncated)
    }

    /// A tree from a table of relative directory paths.
    func tree(_ paths: [String]) -> (String) -> [String] {
        { parent in
            paths.compactMap { p in
                let prefix = parent.isEmpty ? "" : parent + "/"
                guard p.hasPrefix(prefix) else { return nil }
                let rest = p.dropFirst(prefix.count)
                return rest.isEmpty || rest.contains("/") ? nil : String(rest)
            }
        }
    }

    @Test func whereTheWalkGoes() {
        let found = CgroupUnits.discover(children: tree([
            "docker", "docker/x.service",                                        // not systemd's: not entered
            "system.slice", "system.slice/home.mount", "system.slice/home.mount/y.service",
            "machine.slice", "machine.slice/systemd-nspawn@c1.service",
            "machine.slice/systemd-nspawn@c1.service/payload",                   // a container's own tree
            "machine.slice/systemd-nspawn@c1.service/payload/init.scope",
            "machine.slice/systemd-nspawn@c1.service/payload/system.slice",
            "machine.slice/systemd-nspawn@c1.service/payload/system.slice/z.service",
            "machine.slice/systemd-nspawn@c1.service/payload/system.slice/z.service/inner.scope",
        ]))
        let c1 = "machine.slice/systemd-nspawn@c1.service"
        #expect(found.units.map(Unit.init) == [
            Unit("systemd-nspawn@c1.service", c1, "machine.slice"),
            Unit("init.scope", c1 + "/payload/init.scope", "-.slice", "systemd-nspawn@c1.service"),
            Unit("z.service", c1 + "/payload/system.slice/z.service", "system.slice", "systemd-nspawn@c1.service"),
            Unit("inner.scope", c1 + "/payload/system.slice/z.service/inner.scope", "-.slice", "z.service"),
        ])
    }

    /// The walk's order: bytes compared as unsigned, a prefix first, never Unicode collation.
    @Test func bytewiseOrder() {
        let pairs: [(String, String)] = [("a", "b"), ("", "a"), ("a", "a.slice"), ("Z", "a"), ("_cpu.service", "a.service"),
                                         ("a-b", "a.b"), ("x\\x2d", "x_"), ("é", "z"), ("e\u{301}", "é"), ("a.service", "a.service")]
        for (a, b) in pairs {
            #expect(CgroupUnits.bytewiseLess(a, b) == a.utf8.lexicographicallyPrecedes(b.utf8), "\(a) < \(b)")
            #expect(CgroupUnits.bytewiseLess(b, a) == b.utf8.lexicographicallyPrecedes(a.utf8), "\(b) < \(a)")
        }
        #expect(CgroupUnits.bytewiseLess("e\u{301}", "é") && !("e\u{301}" < "é"))   // bytes, not canonical equivalence
    }

    @Test func oddNamesFromTheListingAreSkipped() {
        let found = CgroupUnits.discover { path in path.isEmpty ? [".", "..", "", "a/b.service", "ok.service"] : [] }
        #expect(found.units.map(\.path) == ["ok.service"])
    }

    /// Slices nested 20 deep, a service at each level: services up to depth 16 are found.
    @Test func depthBound() {
        let found = CgroupUnits.discover { path -> [String] in
            let depth = path.isEmpty ? 0 : path.split(separator: "/").count
            return path.isEmpty || path.hasSuffix("a.slice") ? (depth < 20 ? ["a.slice", "x.service"] : []) : []
        }
        #expect(found.units.count == CgroupUnits.maxDepth)
        #expect(found.units.map { $0.path.split(separator: "/").count }.max() == CgroupUnits.maxDepth)
        #expect(found.truncated)
    }

    @Test func unitAndListingBounds() {
        let many = (0..<10_050).map { "u\($0).service" }
        let found = CgroupUnits.discover { path in path.isEmpty ? ["system.slice"] : path == "system.slice" ? many : [] }
        #expect(found.units.count == CgroupUnits.maxUnits)
        #expect(found.truncated)
        let listed = CgroupUnits.discover(maxDirectoriesListed: 3) { path in
            path.isEmpty ? ["a.slice", "b.slice"] : path.hasSuffix(".slice") ? ["x.service"] : []
        }
        #expect(listed.units.map(\.path) == ["a.slice/x.service"])   // root, a.slice, a.slice/x.service listed
        #expect(listed.truncated)
    }

    struct Gone: Error, Equatable {}

    @Test func listingErrorsPropagate() {
        #expect(throws: Gone.self) {
            try CgroupUnits.discover { (path) throws(Gone) -> [String] in
                if path == "system.slice" { throw Gone() }
                return ["system.slice"]
            }
        }
    }
}
