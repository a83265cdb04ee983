import Glibc
import Posix
import ProcParsers

/// Reads the cgroup tree under a root (`--cgroup-root`, default /sys/fs/cgroup): its layout,
/// the units in it, and each unit's counters from descriptors kept open and read with pread,
/// re-opened when a unit's cgroup goes away (a removed cgroup's files fail with ENODEV).
public final class CgroupReader {
    /// The figures of one unit, each nil where the file is absent (controller not enabled,
    /// IO accounting off, no per-cgroup PSI).
    public struct Counters: Equatable, Sendable {
        public var cpuMicros: UInt64?
        public var memoryBytes: UInt64?
        public var anonBytes: UInt64?
        public var tasks: UInt64?
        public var io: CgroupIO?
        public var pressure: (cpu: Double, memory: Double, io: Double)?
        /// The `some` lines' `total=` (microseconds stalled since the cgroup was made), read with
        /// `pressure` from the same files: raw counters for exporters.
        public var pressureTotalMicros: (cpu: UInt64, memory: UInt64, io: UInt64)?

        public init() {}

        public static func == (a: Counters, b: Counters) -> Bool {
            a.cpuMicros == b.cpuMicros && a.memoryBytes == b.memoryBytes && a.anonBytes == b.anonBytes && a.tasks == b.tasks
                && a.io == b.io && a.pressure?.cpu == b.pressure?.cpu && a.pressure?.memory == b.pressure?.memory && a.pressure?.io == b.pressure?.io
                && a.pressureTotalMicros?.cpu == b.pressureTotalMicros?.cpu && a.pressureTotalMicros?.memory == b.pressureTotalMicros?.memory
                && a.pressureTotalMicros?.io == b.pressureTotalMicros?.io
        }
    }

    public let root: String
    public let layout: CgroupLayout
    /// Kept descriptors, by path, with the unit they belong to; past `maxKept` files are opened
    /// and closed each read.
    private var kept: [String: (fd: FileDescriptor, unit: String)] = [:]
    static let maxKept = 4096
    private let buffer = ReadBuffer(capacity: 16 * 1024)
    static let fileLimit = 1 << 20
    /// The unit whose files are being read (owner of newly kept descriptors).
    private var current = ""
    /// Files found missing since the last discovery: not looked for again until then (a unit
    /// without IO accounting would otherwise cost a failed open every tick).
    private var absent = Set<String>()

    public init(root: String) {
        self.root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
        let names = (try? Directory.entries(self.root, limit: 1000).map(\.name)) ?? []
        layout = CgroupLayout.detect(entriesAtRoot: names)
    }

    deinit { for entry in kept.values { entry.fd.close() } }

    public var layoutDescription: String {
        switch layout {
        case .unified: return "cgroup v2 (unified)"
        case .hybrid: return "hybrid (v1 controllers, systemd's named hierarchy, cgroup2 at unified/)"
        case .legacy: return "cgroup v1"
        case .unknown: return "no cgroup tree"
        }
    }

    /// Every unit in the tree, bounded (see `CgroupUnits.discover`); an unreadable root is an
    /// error, a unit that vanishes mid-walk is skipped.
    public func discover() -> Result<CgroupDiscovery, SourceError> {
        guard let tree = layout.unitTree else {
            return .failure(SourceError(source: "cgroup", message: "\(root): no cgroup hierarchy with units (\(layoutDescription))"))
        }
        let base = tree.isEmpty ? root : root + "/" + tree
        do {
            _ = try Directory.entries(base, limit: 1)
        } catch {
            return .failure(SourceError(source: "cgroup", message: error.description))
        }
        absent.removeAll(keepingCapacity: true)
        let found = CgroupUnits.discover { (path: String) -> [String] in
            let dir = path.isEmpty ? base : base + "/" + path
            return ((try? Directory.entries(dir)) ?? []).filter(\.isDirectory).map(\.name)
        }
        return .success(found)
    }

    /// The identity of a unit's cgroup directory: a unit restarted in a new cgroup gets another.
    public func identity(of unit: CgroupUnit) -> UInt64? {
        guard let tree = layout.unitTree else { return nil }
        return try? Directory.inode(tree.isEmpty ? "\(root)/\(unit.path)" : "\(root)/\(tree)/\(unit.path)")
    }

    /// Reads one unit's counters from the layout's files.
    public func counters(_ unit: CgroupUnit) -> Counters {
        current = unit.path
        var c = Counters()
        switch layout {
        case .unified:
            let dir = unit.path
            c.cpuMicros = value("\(dir)/cpu.stat") { (b, f) throws(ParseError) in try Parse.cgroupCPUUsage(b, file: f) }
            c.memoryBytes = value("\(dir)/memory.current") { (b, f) throws(ParseError) in try Parse.cgroupValue(b, file: f) }
            c.anonBytes = value("\(dir)/memory.stat") { (b, f) throws(ParseError) in try Parse.cgroupMemoryAnon(b, file: f) }
            c.tasks = value("\(dir)/pids.current") { (b, f) throws(ParseError) in try Parse.cgroupValue(b, file: f) }
            c.io = value("\(dir)/io.stat") { (b, f) throws(ParseError) in try Parse.cgroupIOStat(b, file: f) }
            (c.pressure, c.pressureTotalMicros) = pressure(dir)
        case .hybrid(let v1), .legacy(let v1):
            let p = unit.path
            if let h = v1.cpuacct { c.cpuMicros = value("\(h)/\(p)/cpuacct.usage") { (b, f) throws(ParseError) in try Parse.cpuacctUsageMicroseconds(b, file: f) } }
            if let h = v1.memory {
                c.memoryBytes = value("\(h)/\(p)/memory.usage_in_bytes") { (b, f) throws(ParseError) in try Parse.cgroupValue(b, file: f) }
                // total_rss: hierarchical like v2's anon (a unit's own rss misses its children).
                c.anonBytes = value("\(h)/\(p)/memory.stat") { (b, f) throws(ParseError) in try Parse.cgroupV1MemoryStat(b, file: f) }
                    .map { $0.totalRSSBytes ?? $0.rssBytes }
            }
            if let h = v1.pids { c.tasks = value("\(h)/\(p)/pids.current") { (b, f) throws(ParseError) in try Parse.cgroupValue(b, file: f) } }
            if let h = v1.blkio {
                c.io = value("\(h)/\(p)/blkio.throttle.io_service_bytes_recursive") { (b, f) throws(ParseError) in try Parse.blkioServiceBytes(b, file: f) }
                    ?? value("\(h)/\(p)/blkio.throttle.io_service_bytes") { (b, f) throws(ParseError) in try Parse.blkioServiceBytes(b, file: f) }
            }
            if let u = v1.unified { (c.pressure, c.pressureTotalMicros) = pressure("\(u)/\(p)") }
        case .unknown:
            break
        }
        return c
    }

    private func pressure(_ dir: String) -> ((cpu: Double, memory: Double, io: Double)?, (cpu: UInt64, memory: UInt64, io: UInt64)?) {
        func some(_ name: String) -> CgroupPressure? {
            value("\(dir)/\(name)") { (b, f) throws(ParseError) in try Parse.cgroupPressureSome(b, file: f) }
        }
        guard let cpu = some("cpu.pressure"), let memory = some("memory.pressure"), let io = some("io.pressure") else { return (nil, nil) }
        return ((cpu.avg10, memory.avg10, io.avg10), (cpu.totalMicroseconds, memory.totalMicroseconds, io.totalMicroseconds))
    }

    /// A file's parsed value; nil when it is absent or unreadable (a unit without that
    /// controller, or whose cgroup went away: absent, never an error per tick).
    private func value<T>(_ relative: String, _ parse: (UnsafeRawBufferPointer, String) throws(ParseError) -> T) -> T? {
        for attempt in 0..<2 {
            guard let fd = descriptor(relative) else { return nil }
            do {
                try Files.read(fd, path: relative, into: buffer, limit: Self.fileLimit)
            } catch {
                close(relative)
                if attempt == 0 && (error.code == ENODEV || error.code == ENOENT || error.code == ESTALE) { continue }   // removed: once more
                return nil
            }
            if kept[relative] == nil { fd.close() }
            return try? parse(buffer.bytes, relative)
        }
        return nil
    }

    private func descriptor(_ relative: String) -> FileDescriptor? {
        if let entry = kept[relative] { return entry.fd }
        if absent.contains(relative) { return nil }
        guard let fd = try? Files.open(root + "/" + relative) else {
            absent.insert(relative)
            return nil
        }
        if kept.count < Self.maxKept { kept[relative] = (fd, current) }
        return fd
    }

    private func close(_ relative: String) {
        kept.removeValue(forKey: relative)?.fd.close()
    }

    /// Closes the descriptors of units that are gone.
    public func forget(keeping units: [CgroupUnit]) {
        let live = Set(units.map(\.path))
        for (path, entry) in kept where !live.contains(entry.unit) { close(path) }
    }
}
