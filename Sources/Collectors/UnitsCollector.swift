import Glibc
import Posix
import ProcFS
import ProcParsers

/// One unit's figures for a tick (each nil where the unit lacks the file, or, for the rates,
/// on its first tick or after its counters restarted).
public struct UnitSample: Sendable {
    public var name: String
    public var slice: String
    /// The user manager a unit of a user's own belongs to (`user@1000.service`); nil for the
    /// system manager's units.
    public var manager: String? = nil
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
    private var units: [CgroupUnit] = []
    private var identities: [String: UInt64] = [:]
    private var lastDiscoveryNanos: UInt64?
    static let discoveryNanos: UInt64 = 1_000_000_000
    private struct Previous { var identity: UInt64?; var nanos: UInt64; var cpu: UInt64?; var io: CgroupIO? }
    private var previous: [String: Previous] = [:]
    private var cpus = 1
    public private(set) var truncated = false

    public init(cgroupRoot: String) {
        reader = CgroupReader(root: cgroupRoot)
    }

    public var unitCount: Int { units.count }

    /// Reads every unit (re-discovering them when due), sorted by CPU, highest first.
    public func collect(nowNanos: UInt64) -> Result<[UnitSample], SourceError> {
        if lastDiscoveryNanos.map({ nowNanos &- $0 >= Self.discoveryNanos }) ?? true {
            switch reader.discover() {
            case .success(let found):
                units = found.units
                truncated = found.truncated
                identities = [:]
                for unit in units { identities[unit.path] = reader.identity(of: unit) }
                reader.forget(keeping: units)
                cpus = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
                lastDiscoveryNanos = nowNanos
            case .failure(let error):
                units = []
                previous = [:]
                lastDiscoveryNanos = nil
                return .failure(error)
            }
        }
        var samples: [UnitSample] = []
        samples.reserveCapacity(units.count)
        var next: [String: Previous] = [:]
        next.reserveCapacity(units.count)
        for unit in units {
            let c = reader.counters(unit)
            var sample = UnitSample(name: unit.name, slice: unit.slice, manager: unit.manager, memory: c.memoryBytes, memoryAnon: c.anonBytes,
                                    tasks: c.tasks, pressure: c.pressure, counters: c)
            let identity = identities[unit.path]
            if let before = previous[unit.path], before.identity == identity, nowNanos > before.nanos {
                let seconds = Double(nowNanos - before.nanos) / 1e9
                if let now = c.cpuMicros, let then = before.cpu, now >= then {
                    sample.cpu = min(100, Double(now - then) / (seconds * 1e6 * Double(cpus)) * 100)
                }
                if let now = c.io, let then = before.io, now.readBytes >= then.readBytes, now.writeBytes >= then.writeBytes {
                    sample.ioRead = Double(now.readBytes - then.readBytes) / seconds
                    sample.ioWrite = Double(now.writeBytes - then.writeBytes) / seconds
                }
            }
            next[unit.path] = Previous(identity: identity, nanos: nowNanos, cpu: c.cpuMicros, io: c.io)
            samples.append(sample)
        }
        previous = next
        // Highest CPU first; units without a figure last; by name among equals (stable ticks).
        samples.sort { a, b in
            switch (a.cpu, b.cpu) {
            case let (x?, y?) where x != y: return x > y
            case (.some, nil): return true
            case (nil, .some): return false
            default: return a.name < b.name
            }
        }
        return .success(samples)
    }

    /// `{"unit":…,"slice":…,"cpu":…,"memory":…,"memory_anon":…,"tasks":…,"io_read":…,"io_write":…,"pressure":…}`
    public static func json(_ s: UnitSample) -> [UInt8] {
        var w = JSONWriter()
        w.bytes.reserveCapacity(200)
        w.beginObject()
        w.key("unit"); w.string(s.name)
        w.key("slice"); w.string(s.slice)
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
