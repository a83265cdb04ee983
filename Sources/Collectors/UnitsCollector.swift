import Glibc
import Posix
import ProcFS
import ProcParsers

/// One unit's figures for a tick (each nil where the unit lacks the file, or, for the rates,
/// on its first tick or after its counters restarted).
public struct UnitSample: Sendable {
    public var name: String
    public var slice: String
    /// The user manager (or other unit) it runs under, e.g. `user@1000.service`; nil for the
    /// system's units. Unit names are unique per manager, not across them (`init.scope`).
    public var manager: String?
    /// Percent of all CPUs, on the host `cpu` scale.
    public var cpu: Double?
    public var memory: UInt64?
    public var memoryAnon: UInt64?
    public var tasks: UInt64?
    /// Bytes per second.
    public var ioRead: Double?
    public var ioWrite: Double?
    public var pressure: (cpu: Double, memory: Double, io: Double)?
    /// The raw counters read (for exporters of totals).
    public var counters: CgroupReader.Counters
}

/// The per-unit view: every systemd `.service` and `.scope` with a cgroup, read from the cgroup
/// tree once per tick while someone wants it. Discovery walks the tree at most once a second,
/// so a new unit shows within about two ticks and a stopped one goes; each unit's files stay
/// open between ticks. Rates are keyed by the unit's cgroup directory, so a restarted unit (a
/// new cgroup, counters from zero) gets no figure for one tick, never a negative or giant one.
public final class UnitsCollector {
    public let reader: CgroupReader
    /// The units of the last discovery, each with its last reading (for the rates).
    private var entries: [Entry] = []
    private var lastDiscoveryNanos: UInt64?
    /// A second less the wake-up jitter of a 1 s tick: at exactly 1 s, a tick woken a little
    /// earlier than the last one skipped discovery (4 ticks in 10 did), a stopped unit lingered 2 s.
    static let discoveryNanos: UInt64 = 900_000_000
    private struct Previous { var nanos: UInt64; var cpu: UInt64?; var io: CgroupIO? }
    /// The reader keeps a unit's `UnitFiles` only while its cgroup is the same one, so a reading
    /// kept beside it is always of that cgroup: a restarted unit starts with none.
    private struct Entry { let files: CgroupReader.UnitFiles; var previous: Previous?; var rank = 0 }
    private var ranks: [Int] = []
    private var cpus = 1
    public private(set) var truncated = false

    public init(cgroupRoot: String) {
        reader = CgroupReader(root: cgroupRoot)
    }

    public var unitCount: Int { entries.count }

    /// Reads every unit (re-discovering them when due), sorted by CPU, highest first.
    public func collect(nowNanos: UInt64) -> Result<[UnitSample], SourceError> {
        if lastDiscoveryNanos.map({ nowNanos &- $0 >= Self.discoveryNanos }) ?? true {
            switch reader.discover(nowNanos: nowNanos) {
            case .success(let found):
                var before: [ObjectIdentifier: Previous] = [:]
                before.reserveCapacity(entries.count)
                for entry in entries { if let p = entry.previous { before[ObjectIdentifier(entry.files)] = p } }
                var changed = found.units.count != entries.count
                entries = found.units.map { files in
                    let previous = before[ObjectIdentifier(files)]
                    if previous == nil { changed = true }
                    return Entry(files: files, previous: previous)
                }
                // Each unit's place in (manager, name) order, the order among equal CPU figures:
                // sorted again only when a unit is new (a unit gone leaves the others' order as it was).
                if changed { rankByName() } else { for i in entries.indices { entries[i].rank = ranks[i] } }
                ranks = entries.map(\.rank)
                truncated = found.truncated
                cpus = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
                lastDiscoveryNanos = nowNanos
            case .failure(let error):
                entries = []
                lastDiscoveryNanos = nil
                return .failure(error)
            }
        }
        var samples: [UnitSample] = []
        samples.reserveCapacity(entries.count)
        var sampleRanks: [Int] = []
        sampleRanks.reserveCapacity(entries.count)
        for i in entries.indices {
            let files = entries[i].files
            let unit = files.unit
            let c = reader.counters(files)
            // Nothing read at all: if its cgroup is gone the unit stopped since the discovery;
            // leave it out rather than list it with every figure null until the next one.
            if c == CgroupReader.Counters(), !reader.exists(files) {
                entries[i].previous = nil
                continue
            }
            var sample = UnitSample(name: unit.name, slice: unit.slice, manager: unit.manager, memory: c.memoryBytes, memoryAnon: c.anonBytes,
                                    tasks: c.tasks, pressure: c.pressure, counters: c)
            if let before = entries[i].previous, nowNanos > before.nanos {
                let seconds = Double(nowNanos - before.nanos) / 1e9
                if let now = c.cpuMicros, let then = before.cpu, now >= then {
                    sample.cpu = min(100, Double(now - then) / (seconds * 1e6 * Double(cpus)) * 100)
                }
                if let now = c.io, let then = before.io, now.readBytes >= then.readBytes, now.writeBytes >= then.writeBytes {
                    sample.ioRead = Double(now.readBytes - then.readBytes) / seconds
                    sample.ioWrite = Double(now.writeBytes - then.writeBytes) / seconds
                }
            }
            entries[i].previous = Previous(nanos: nowNanos, cpu: c.cpuMicros, io: c.io)
            samples.append(sample)
            sampleRanks.append(entries[i].rank)
        }
        // Highest CPU first; units without a figure last; by (manager, name) among equals (stable
        // ticks), through the ranks: indices are sorted, the samples moved once.
        var order = Array(samples.indices)
        order.sort { i, j in
            switch (samples[i].cpu, samples[j].cpu) {
            case let (x?, y?) where x != y: return x > y
            case (.some, nil): return true
            case (nil, .some): return false
            default: return sampleRanks[i] < sampleRanks[j]
            }
        }
        return .success(order.map { samples[$0] })
    }

    /// Ranks the entries by `(manager ?? "", name)`, ties in discovery order.
    private func rankByName() {
        let order = entries.indices.sorted { i, j in
            let a = entries[i].files.unit, b = entries[j].files.unit
            return (a.manager ?? "", a.name) < (b.manager ?? "", b.name)
        }
        for (rank, i) in order.enumerated() { entries[i].rank = rank }
    }

    /// `{"unit":…,"slice":…,"manager":…,"cpu":…,"memory":…,"memory_anon":…,"tasks":…,"io_read":…,"io_write":…,"pressure":…}`
    public static func json(_ s: UnitSample) -> [UInt8] {
        var w = JSONWriter()
        w.bytes.reserveCapacity(200)
        w.beginObject()
        w.key("unit"); w.string(s.name)
        w.key("slice"); w.string(s.slice)
        w.key("manager"); if let m = s.manager { w.string(m) } else { w.null() }
        w.key("cpu"); if let v = s.cpu { w.fixed(v, decimals: 2) } else { w.null() }
        w.key("memory"); if let v = s.memory { w.integer(v) } else { w.null() }
        w.key("memory_anon"); if let v = s.memoryAnon { w.integer(v) } else { w.null() }
        w.key("tasks"); if let v = s.tasks { w.integer(v) } else { w.null() }
        w.key("io_read"); if let v = s.ioRead { w.fixed(v, decimals: 1) } else { w.null() }
        w.key("io_write"); if let v = s.ioWrite { w.fixed(v, decimals: 1) } else { w.null() }
        w.key("pressure")
        if let p = s.pressure {
            w.beginObject()
            w.key("cpu"); w.fixed(p.cpu, decimals: 2)
            w.key("memory"); w.fixed(p.memory, decimals: 2)
            w.key("io"); w.fixed(p.io, decimals: 2)
            w.endObject()
        } else { w.null() }
        w.endObject()
        return w.bytes
    }
}
