/// Which v1 hierarchy directory (relative to the cgroup root) holds each controller procstream
/// reads, and systemd's own. A controller may share a mount with others: systemd mounts
/// `cpu,cpuacct` and adds the symlinks `cpu` and `cpuacct` to it; other inits mount `cpu` and
/// `cpuacct` apart. Either way the directory named here is one that reaches the hierarchy.
public struct CgroupV1Hierarchies: Equatable, Sendable {
    public var cpuacct: String?
    public var memory: String?
    public var pids: String?
    public var blkio: String?
    /// systemd's named hierarchy (`name=systemd`, no controller): the tree of every unit,
    /// including those no controller hierarchy has a directory for.
    public var systemd: String?
    /// The cgroup2 mount of a hybrid host (no controllers; PSI files and `cpu.stat` work there).
    public var unified: String?

    public init(cpuacct: String? = nil, memory: String? = nil, pids: String? = nil, blkio: String? = nil,
                systemd: String? = nil, unified: String? = nil) {
        (self.cpuacct, self.memory, self.pids, self.blkio) = (cpuacct, memory, pids, blkio)
        (self.systemd, self.unified) = (systemd, unified)
    }
}

/// How the cgroup tree under `--cgroup-root` is laid out.
public enum CgroupLayout: Equatable, Sendable {
    /// cgroup v2 only: the root is a cgroup2 mount (it has `cgroup.controllers`).
    case unified
    /// systemd's hybrid mode: v1 controller hierarchies, systemd's named hierarchy, and a
    /// controller-less cgroup2 mount at `unified/`.
    case hybrid(CgroupV1Hierarchies)
    /// v1 only: controller hierarchies (and usually `systemd/`), no `unified/`.
    case legacy(CgroupV1Hierarchies)
    /// Neither: not a cgroup root, or an empty one.
    case unknown

    /// The v1 controllers the kernel has (cgroup_subsys.h) and systemd's named hierarchy: an
    /// entry of the root made of these, comma-separated, is a v1 hierarchy.
    static let v1Names: Set<Substring> = ["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls",
                                          "net_prio", "blkio", "perf_event", "hugetlb", "pids", "rdma", "misc",
                                          "systemd", "elogind"]

    /// Decides from the names of the root's entries alone (files and directories, symlinks
    /// included, as readdir gives them).
    public static func detect(entriesAtRoot entries: [String]) -> CgroupLayout {
        if entries.contains("cgroup.controllers") { return .unified }
        let hierarchies = entries.filter { entry in
            let parts = entry.split(separator: ",", omittingEmptySubsequences: false)
            return !parts.isEmpty && parts.allSatisfy { v1Names.contains($0) }
        }
        guard !hierarchies.isEmpty else { return .unknown }
        func holding(_ controller: Substring) -> String? {
            if hierarchies.contains(String(controller)) { return String(controller) }   // a mount or a symlink
            return hierarchies.sorted().first { $0.split(separator: ",").contains(controller) }
        }
        var v1 = CgroupV1Hierarchies(cpuacct: holding("cpuacct"), memory: holding("memory"), pids: holding("pids"),
                                     blkio: holding("blkio"), systemd: holding("systemd"))
        if entries.contains("unified") {
            v1.unified = "unified"
            return .hybrid(v1)
        }
        return .legacy(v1)
    }

    /// The directory holding the unit tree to walk: the root itself on v2, systemd's named
    /// hierarchy on v1 (nil when there is none: no systemd).
    public var unitTree: String? {
        switch self {
        case .unified: return ""
        case .hybrid(let v1), .legacy(let v1): return v1.systemd
        case .unknown: return nil
        }
    }
}
