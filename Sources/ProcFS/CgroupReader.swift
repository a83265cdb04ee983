import Glibc
import Posix
import ProcParsers

/// Reads the cgroup tree under a root (`--cgroup-root`, default /sys/fs/cgroup): its layout,
/// the units in it, and each unit's counters from descriptors kept open and read with pread,
/// re-opened when a unit's cgroup goes away (a removed cgroup's files fail with ENODEV).
public final class CgroupReader {
    public let root: String
    public let layout: CgroupLayout

    /// A unit as the last discovery found it: its cgroup directory's identity and the
    /// descriptors of its files, kept open between ticks. A unit whose cgroup is made anew (a
    /// restart) gets a new `UnitFiles`, so whatever a caller keeps beside it starts again too.
    public final class UnitFiles {
        public let unit: CgroupUnit
        /// The inode of the unit's cgroup directory at discovery; nil if it was gone by then.
        public let identity: UInt64?
        /// Per `File` of the layout: a kept descriptor, `unopened` or `absent`.
        fileprivate var fds: [CInt]
        fileprivate var generation: UInt64 = 0

        fileprivate init(unit: CgroupUnit, identity: UInt64?, files: Int) {
            (self.unit, self.identity) = (unit, identity)
            fds = Array(repeating: UnitFiles.unopened, count: files)
        }

        fileprivate static let unopened: CInt = -1
        /// Found missing since the last discovery: not looked for again until then (a unit
        /// without IO accounting would otherwise cost a failed open every tick).
        fileprivate static let absent: CInt = -2
    }

    /// The units of the last discovery, in its order.
    public private(set) var units: [UnitFiles] = []
    /// The directories the last discovery listed: their names as read, and sorted.
    private struct Listing {
        var names: [String]
        var sorted: [String]
        /// The directory's stat when it was listed, and whether every name was a directory entry
        /// proper (none a symlink or of unknown type): only then does its link count count
        /// exactly these.
        var status: Directory.Status
        var onlyDirectories: Bool
    }
    private var listings: [String: Listing] = [:]
    /// Counts discoveries: a unit's `UnitFiles` that the last one did not find again is closed.
    private var generation: UInt64 = 0
    /// Descriptors kept open in all; past `maxKept` files are opened and closed each read.
    private var keptCount = 0
    static let maxKept = 4096
    /// A file a unit lacks (a controller not enabled for it, IO accounting off) is looked for
    /// again this often, not at every discovery: on a host whose units lack several controllers,
    /// failed opens were a large part of each tick. A controller enabled at run time shows
    /// within this long.
    public static let absentRetryNanos: UInt64 = 10_000_000_000
    private var lastAbsentRetryNanos: UInt64 = 0
    private let buffer = ReadBuffer(capacity: 16 * 1024)
    static let fileLimit = 1 << 20
    private let lister = Directory.Lister()
    /// The root, opened anew at each discovery: files are opened relative to it (a shorter path
    /// walk for a file first read, or looked for again after it was missing).
    private var rootDirectory: FileDescriptor?

    /// The files read per unit, by layout: where each lives (the unit's directory in the tree, a
    /// v1 controller's hierarchy, or a hybrid host's unified/) and its name.
    fileprivate enum File: Int, CaseIterable {
        // v2 (unified): all in the unit's directory.
        case cpuStat, memoryCurrent, memoryStat, pidsCurrent, ioStat
        // Either layout: PSI, in the unit's directory on v2, under unified/ on hybrid.
        case cpuPressure, memoryPressure, ioPressure
        // v1: each in its controller's hierarchy.
        case cpuacctUsage, memoryUsage, blkioRecursive, blkio

        var name: String {
            switch self {
            case .cpuStat: return "cpu.stat"
            case .memoryCurrent: return "memory.current"
            case .memoryStat: return "memory.stat"
            case .pidsCurrent: return "pids.current"
            case .ioStat: return "io.stat"
            case .cpuPressure: return "cpu.pressure"
            case .memoryPressure: return "memory.pressure"
            case .ioPressure: return "io.pressure"
            case .cpuacctUsage: return "cpuacct.usage"
            case .memoryUsage: return "memory.usage_in_bytes"
            case .blkioRecursive: return "blkio.throttle.io_service_bytes_recursive"
            case .blkio: return "blkio.throttle.io_service_bytes"
            }
        }
    }

    public init(root: String) {
        self.root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
        let names = (try? Directory.entries(self.root, limit: 1000).map(\.name)) ?? []
        layout = CgroupLayout.detect(entriesAtRoot: names)
    }

    deinit {
        drop(units)
        rootDirectory?.close()
    }

    public var layoutDescription: String {
        switch layout {
        case .unified: return "cgroup v2 (unified)"
        case .hybrid: return "hybrid (v1 controllers, systemd's named hierarchy, cgroup2 at unified/)"
        case .legacy: return "cgroup v1"
        case .unknown: return "no cgroup tree"
        }
    }

    /// Every unit in the tree, bounded (see `CgroupUnits.discover`); an unreadable root is an
    /// error (and forgets the units), a unit that vanishes mid-walk is skipped. A unit found
    /// again in the same cgroup keeps its `UnitFiles` and descriptors; the files of units gone
    /// or made anew are closed.
    ///
    /// Each directory the walk enters is stat'ed first: that gives a unit its identity, and a
    /// directory whose link count says it has no subdirectory (most units: leaves of the tree)
    /// is not listed at all. Slices and units with children are read with getdents64 only when
    /// their stat or their known subdirectories say something changed since the last listing.
    /// `nowNanos` paces the search for files a unit lacked (see `absentRetryNanos`).
    public func discover(nowNanos: UInt64) -> Result<(units: [UnitFiles], truncated: Bool), SourceError> {
        let retryAbsent = nowNanos &- lastAbsentRetryNanos >= Self.absentRetryNanos
        if retryAbsent { lastAbsentRetryNanos = nowNanos }
        guard let tree = layout.unitTree else {
            return .failure(SourceError(source: "cgroup", message: "\(root): no cgroup hierarchy with units (\(layoutDescription))"))
        }
        rootDirectory?.close()
        rootDirectory = nil
        let top: FileDescriptor, base: FileDescriptor
        do {
            top = try Directory.open(root)
            rootDirectory = top
            base = tree.isEmpty ? top : try Directory.open(at: top, tree)
        } catch {
            forgetAll()
            return .failure(SourceError(source: "cgroup", message: error.description))
        }
        defer { if !tree.isEmpty { base.close() } }
        // What each directory's stat said, in the walk's order (a unit's own comes right after
        // the slices above it): matched to the units in order, without hashing a path.
        var stats: [(path: String, inode: UInt64)] = []
        stats.reserveCapacity(units.count + 16)
        let lister = self.lister
        // A directory listed as last time is handed to the walk in the order the walk sorts it
        // into, which its sort then only checks (the sort of a slice's names was a tenth of a
        // discovery).
        let lastListings = listings
        var listings: [String: Listing] = [:]
        // Stats taken while checking a parent's listing, used when the walk enters the child.
        var checked: [String: Directory.Status] = [:]
        let found = CgroupUnits.discover { (path: String) -> [String] in
            let status: Directory.Status
            if let known = checked.removeValue(forKey: path) {
                status = known
            } else {
                guard let s = try? Directory.status(at: base, path) else { return [] }
                status = s
            }
            stats.append((path, status.inode))
            if status.hasNoSubdirectories { return [] }
            // Unchanged since the last listing, without listing it again: the same directory
            // with the same times (which catch any entry added, removed or renamed where the file
            // system keeps them), whose link count (2 + subdirectories, where it is counted at
            // all) still says as many subdirectories as there were names, every one of which is
            // still a directory (what catches a swap on kernfs, whose times stay; it allows no
            // symlinks). The walk stats those it enters anyway; it is handed these stats.
            if let last = lastListings[path], last.onlyDirectories, last.status.inode == status.inode,
               last.status.modifiedNanos == status.modifiedNanos, last.status.changedNanos == status.changedNanos,
               status.links >= 2, status.links - 2 == UInt64(last.names.count) {
                var stillThere: [(String, Directory.Status)] = []
                stillThere.reserveCapacity(last.names.count)
                for name in last.names {
                    let child = path.isEmpty ? name : path + "/" + name
                    guard let s = try? Directory.status(at: base, child), s.isDirectory else { break }
                    stillThere.append((child, s))
                }
                if stillThere.count == last.names.count {
                    for (child, s) in stillThere { checked[child] = s }
                    listings[path] = last
                    return last.sorted
                }
            }
            let names = (try? lister.subdirectories(at: base, path, inode: status.inode)) ?? []
            if let last = lastListings[path], last.names == names, last.onlyDirectories == lister.lastListingOnlyDirectories {
                listings[path] = Listing(names: last.names, sorted: last.sorted, status: status, onlyDirectories: last.onlyDirectories)
                return last.sorted
            }
            let listing = Listing(names: names, sorted: names.sorted(by: CgroupUnits.bytewiseLess), status: status,
                                  onlyDirectories: lister.lastListingOnlyDirectories)
            listings[path] = listing
            return listing.sorted
        }
        self.listings = listings
        lister.closeUnused()
        generation &+= 1
        var next: [UnitFiles] = []
        next.reserveCapacity(found.units.count)
        var statCursor = 0, oldCursor = 0
        var oldIndex: [String: Int]?   // built only when the list changed
        for unit in found.units {
            // Its stat: a few records on; a unit the walk did not enter (a bound) is stat'ed here.
            var identity: UInt64?
            var j = statCursor
            while j < stats.count, j < statCursor + 64 {
                if stats[j].path == unit.path { identity = stats[j].inode; statCursor = j + 1; break }
                j += 1
            }
            if identity == nil { identity = try? Directory.status(at: base, unit.path).inode }
            // The same unit in the last discovery: usually at the same place in the list.
            var old: UnitFiles?
            if oldCursor < units.count, units[oldCursor].unit.path == unit.path {
                old = units[oldCursor]
                oldCursor += 1
            } else {
                if oldIndex == nil {
                    var index: [String: Int] = [:]
                    index.reserveCapacity(units.count)
                    for (i, files) in units.enumerated() { index[files.unit.path] = i }
                    oldIndex = index
                }
                if let i = oldIndex?[unit.path] {
                    old = units[i]
                    oldCursor = i + 1
                }
            }
            let files: UnitFiles
            if let old, old.identity == identity, identity != nil {
                files = old
                // Missing files are looked for again every `absentRetryNanos` (a controller enabled since).
                if retryAbsent {
                    for i in files.fds.indices where files.fds[i] == UnitFiles.absent { files.fds[i] = UnitFiles.unopened }
                }
            } else {
                files = UnitFiles(unit: unit, identity: identity, files: File.allCases.count)
            }
            files.generation = generation
            next.append(files)
        }
        drop(units.filter { $0.generation != generation })   // gone, or a new cgroup under the same name
        units = next
        return .success((next, found.truncated))
    }

    /// Closes the descriptors of every unit (the tree became unreadable).
    private func forgetAll() {
        drop(units)
        units = []
        listings = [:]
        lister.closeAll()
    }

    private func drop(_ gone: [UnitFiles]) {
        for files in gone {
            for i in files.fds.indices where files.fds[i] >= 0 {
                _ = Glibc.close(files.fds[i])
                files.fds[i] = UnitFiles.unopened
                keptCount -= 1
            }
        }
    }

    /// Whether the unit's cgroup directory is still there (one stat).
    public func exists(_ files: UnitFiles) -> Bool {
        identity(of: files.unit) != nil
    }

    /// Reads one unit's counters from the layout's files.
    public func counters(_ files: UnitFiles) -> Counters {
        var c = Counters()
        switch layout {
        case .unified:
            c.cpuMicros = value(files, .cpuStat) { (b, f) throws(ParseError) in try Parse.cgroupCPUUsage(b, file: f) }
            c.memoryBytes = value(files, .memoryCurrent) { (b, f) throws(ParseError) in try Parse.cgroupValue(b, file: f) }
            c.anonBytes = value(files, .memoryStat) { (b, f) throws(ParseError) in try Parse.cgroupMemoryAnon(b, file: f) }
            c.tasks = value(files, .pidsCurrent) { (b, f) throws(ParseError) in try Parse.cgroupValue(b, file: f) }
            c.io = value(files, .ioStat) { (b, f) throws(ParseError) in try Parse.cgroupIOStat(b, file: f) }
            (c.pressure, c.pressureTotalMicros) = pressure(files)
        case .hybrid(let v1), .legacy(let v1):
            if v1.cpuacct != nil { c.cpuMicros = value(files, .cpuacctUsage) { (b, f) throws(ParseError) in try Parse.cpuacctUsageMicroseconds(b, file: f) } }
            if v1.memory != nil {
                c.memoryBytes = value(files, .memoryUsage) { (b, f) throws(ParseError) in try Parse.cgroupValue(b, file: f) }
                // total_rss: hierarchical like v2's anon (a unit's own rss misses its children).
                c.anonBytes = value(files, .memoryStat) { (b, f) throws(ParseError) in try Parse.cgroupV1MemoryStat(b, file: f) }
                    .map { $0.totalRSSBytes ?? $0.rssBytes }
            }
            if v1.pids != nil { c.tasks = value(files, .pidsCurrent) { (b, f) throws(ParseError) in try Parse.cgroupValue(b, file: f) } }
            if v1.blkio != nil {
                c.io = value(files, .blkioRecursive) { (b, f) throws(ParseError) in try Parse.blkioServiceBytes(b, file: f) }
                    ?? value(files, .blkio) { (b, f) throws(ParseError) in try Parse.blkioServiceBytes(b, file: f) }
            }
            if v1.unified != nil { (c.pressure, c.pressureTotalMicros) = pressure(files) }
        case .unknown:
            break
        }
        return c
    }

    private func pressure(_ files: UnitFiles) -> ((cpu: Double, memory: Double, io: Double)?, (cpu: UInt64, memory: UInt64, io: UInt64)?) {
        func some(_ file: File) -> CgroupPressure? {
            value(files, file) { (b, f) throws(ParseError) in try Parse.cgroupPressureSome(b, file: f) }
        }
        guard let cpu = some(.cpuPressure), let memory = some(.memoryPressure), let io = some(.ioPressure) else { return (nil, nil) }
        return ((cpu.avg10, memory.avg10, io.avg10), (cpu.totalMicroseconds, memory.totalMicroseconds, io.totalMicroseconds))
    }

    /// Where `file` of `unit` lives, relative to the root.
    private func path(_ file: File, of unit: CgroupUnit) -> String? {
        switch layout {
        case .unified:
            return "\(unit.path)/\(file.name)"
        case .hybrid(let v1), .legacy(let v1):
            let hierarchy: String?
            switch file {
            case .cpuacctUsage: hierarchy = v1.cpuacct
            case .memoryUsage, .memoryStat: hierarchy = v1.memory
            case .pidsCurrent: hierarchy = v1.pids
            case .blkioRecursive, .blkio: hierarchy = v1.blkio
            case .cpuPressure, .memoryPressure, .ioPressure: hierarchy = v1.unified
            case .cpuStat, .memoryCurrent, .ioStat: hierarchy = nil
            }
            return hierarchy.map { "\($0)/\(unit.path)/\(file.name)" }
        case .unknown:
            return nil
        }
    }

    /// A file's parsed value; nil when it is absent or unreadable (a unit without that
    /// controller, or whose cgroup went away: absent, never an error per tick). Errors would
    /// name the file by its name alone (they are not reported per tick).
    private func value<T>(_ files: UnitFiles, _ file: File, _ parse: (UnsafeRawBufferPointer, String) throws(ParseError) -> T) -> T? {
        let slot = file.rawValue
        for attempt in 0..<2 {
            var fd = files.fds[slot]
            if fd == UnitFiles.absent { return nil }
            let kept = fd >= 0
            if !kept {
                guard let relative = path(file, of: files.unit), let opened = open(relative) else {
                    files.fds[slot] = UnitFiles.absent
                    return nil
                }
                fd = opened.rawValue
                if keptCount < Self.maxKept {
                    files.fds[slot] = fd
                    keptCount += 1
                }
            }
            let descriptor = FileDescriptor(rawValue: fd)
            do {
                try Files.readWhole(descriptor, path: file.name, into: buffer, limit: Self.fileLimit)
            } catch {
                close(files, slot, fd)
                if attempt == 0 && (error.code == ENODEV || error.code == ENOENT || error.code == ESTALE) { continue }   // removed: once more
                return nil
            }
            if files.fds[slot] != fd { descriptor.close() }
            return try? parse(buffer.bytes, file.name)
        }
        return nil
    }

    private func open(_ relative: String) -> FileDescriptor? {
        if let rootDirectory { return try? Files.open(at: rootDirectory, relative) }
        return try? Files.open(root + "/" + relative)
    }

    private func close(_ files: UnitFiles, _ slot: Int, _ fd: CInt) {
        _ = Glibc.close(fd)
        if files.fds[slot] == fd {
            files.fds[slot] = UnitFiles.unopened
            keptCount -= 1
        }
    }

    /// The identity of a unit's cgroup directory: a unit restarted in a new cgroup gets another.
    public func identity(of unit: CgroupUnit) -> UInt64? {
        guard let tree = layout.unitTree else { return nil }
        return try? Directory.inode(tree.isEmpty ? "\(root)/\(unit.path)" : "\(root)/\(tree)/\(unit.path)")
    }
}
