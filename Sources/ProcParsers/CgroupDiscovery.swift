/// One systemd service or scope found in a cgroup tree.
public struct CgroupUnit: Equatable, Sendable {
    /// The unit's name, unescaped: `cpu.service` for the directory `_cpu.service`.
    public var name: String
    /// Its cgroup directory relative to the tree's root, as on disk (escaped):
    /// `system.slice/_cpu.service`, `user.slice/user-1000.slice/user@1000.service/app.slice/x.service`.
    public var path: String
    /// The nearest slice above it within its own manager: `system.slice`, `user-1000.slice`,
    /// `app.slice`; `-.slice` (systemd's root slice) for a unit right under its manager's root,
    /// such as `init.scope` at the top of the tree or inside `user@1000.service`.
    public var slice: String
    /// Nil for the system manager's units; for a unit inside another unit's subtree (a user
    /// manager's own units, a container's), the name of the nearest unit above it.
    public var manager: String?

    public init(name: String, path: String, slice: String, manager: String? = nil) {
        (self.name, self.path, self.slice, self.manager) = (name, path, slice, manager)
    }
}

public struct CgroupDiscovery: Equatable, Sendable {
    /// In depth-first order with names sorted bytewise at each level, so a manager comes just
    /// before its own units and the order does not depend on readdir.
    public var units: [CgroupUnit]
    /// A bound stopped the walk somewhere (depth, units or directories listed): `units` is
    /// then a prefix of the full list, and the collector should say so.
    public var truncated: Bool

    public init(units: [CgroupUnit], truncated: Bool) {
        self.units = units
        self.truncated = truncated
    }
}

extension CgroupUnits {
    /// Bounds of one walk. systemd's own trees are a few levels deep (a user manager's unit is
    /// at depth 5); 16 leaves room for containers inside services.
    public static let maxDepth = 16
    public static let maxUnits = 10_000
    public static let maxDirectoriesListed = 50_000

    /// Every `.service` and `.scope` under the root, `children(path)` listing the subdirectory
    /// names of `path` (relative, `""` for the root; names that are empty, `.`, `..` or hold a
    /// `/` are skipped). Rules:
    ///
    /// - At the system manager's level only slices are entered (systemd puts every unit in a
    ///   slice; other directories, like `docker/` of a cgroupfs-driver Docker, are not units and
    ///   hold none), and only services and scopes are listed (`.mount`, `.swap`, `.socket`
    ///   cgroups are not entered either).
    /// - A unit's own subtree is entered, every directory of it, but only to find the units a
    ///   manager inside it runs: `user@1000.service/app.slice/foo.service`,
    ///   `user@1000.service/init.scope`, a container's `payload/system.slice/…`. A unit and the
    ///   units inside it are listed side by side, never summed: cgroup counters are
    ///   hierarchical, so a unit's own directory already counts its children.
    /// - Bounds: directories deeper than `maxDepth` components are not listed, at most
    ///   `maxUnits` units are returned and `maxDirectoriesListed` directories listed; reaching
    ///   any of them sets `truncated`.
    public static func discover<E: Error>(maxDepth: Int = maxDepth, maxUnits: Int = maxUnits,
                                          maxDirectoriesListed: Int = maxDirectoriesListed,
                                          children: (String) throws(E) -> [String]) throws(E) -> CgroupDiscovery {
        var walk = Walk(maxDepth: maxDepth, maxUnits: maxUnits, maxListed: maxDirectoriesListed)
        try walk.visit(path: "", depth: 0, slice: "-.slice", manager: nil, children: children)
        return CgroupDiscovery(units: walk.units, truncated: walk.truncated)
    }

    /// `a.utf8.lexicographicallyPrecedes(b.utf8)`, comparing the contiguous bytes directly
    /// (the generic sequence comparison cost a tenth of a discovery).
    public static func bytewiseLess(_ a: String, _ b: String) -> Bool {
        let fast = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y -> Bool in
                let n = min(x.count, y.count)
                for i in 0..<n where x[i] != y[i] { return x[i] < y[i] }
                return x.count < y.count
            }
        }
        if let fast, let result = fast { return result }
        return a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    private struct Walk {
        let maxDepth: Int, maxUnits: Int, maxListed: Int
        var units: [CgroupUnit] = []
        var listed = 0
        var truncated = false

        init(maxDepth: Int, maxUnits: Int, maxListed: Int) {
            (self.maxDepth, self.maxUnits, self.maxListed) = (maxDepth, maxUnits, maxListed)
        }

        /// Lists `path` (at `depth` components) and goes into what it holds.
        mutating func visit<E: Error>(path: String, depth: Int, slice: String, manager: String?,
                                      children: (String) throws(E) -> [String]) throws(E) {
            guard depth < maxDepth else { truncated = true; return }
            guard listed < maxListed else { truncated = true; return }
            listed += 1
            let names = try children(path).filter(CgroupUnits.isValidFileName)
                .sorted(by: CgroupUnits.bytewiseLess)
            for name in names {
                if units.count >= maxUnits { truncated = true; return }
                let child = path.isEmpty ? name : path + "/" + name
                if let unit = CgroupUnits.unitName(fromDirectory: name) {
                    units.append(CgroupUnit(name: unit, path: child, slice: slice, manager: manager))
                    try visit(path: child, depth: depth + 1, slice: "-.slice", manager: unit, children: children)
                } else if let s = CgroupUnits.sliceName(fromDirectory: name) {
                    try visit(path: child, depth: depth + 1, slice: s, manager: manager, children: children)
                } else if manager != nil {
                    // Inside a unit: a delegated manager's own directories (libvirt's `emulator`,
                    // nspawn's `payload`) may hold its units further down.
                    try visit(path: child, depth: depth + 1, slice: slice, manager: manager, children: children)
                }
            }
        }
    }
}
