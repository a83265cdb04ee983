import Glibc
import Collectors
import HTTP
import Posix
import ProcFS

/// Timings of one collection and one serialisation, for `procstream-bench` (not used by the
/// daemon itself). Lives here because it drives the module's internal collector.
public enum MicroBenchmark {
    public struct Timing: CustomStringConvertible {
        public let name: String
        public let samplesMicros: [Double]

        public func percentile(_ p: Double) -> Double {
            let sorted = samplesMicros.sorted()
            guard !sorted.isEmpty else { return 0 }
            let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1   // nearest-rank
            return sorted[min(sorted.count - 1, max(0, rank))]
        }

        public var description: String {
            "| \(name) | \(samplesMicros.count) | \(format(percentile(50))) | \(format(percentile(99))) | \(format(samplesMicros.max() ?? 0)) |"
        }

        private func format(_ v: Double) -> String {
            let tenths = Int((v * 10).rounded())
            return "\(tenths / 10).\(tenths % 10)"
        }
    }

    /// Collects `iterations` snapshots from `procRoot` (after one warm-up) and times each, in all
    /// and per source (p50 of each). The TCP source column says how many ticks walked the
    /// established hash; `tcpAuditNanos` 0 makes every tick walk it.
    public static func collection(name: String, procRoot: String, netlink: Bool, iterations: Int,
                                  tcpAuditNanos: UInt64 = TCPCounter.defaultAuditNanos)
        -> (Timing, connections: UInt64?, source: String, perSource: [(name: String, p50Micros: Double)]) {
        var registry = Registry.standard(procRoot: procRoot, netlink: netlink, tcpAuditNanos: tcpAuditNanos)
        registry.prime()
        _ = registry.collect()
        var samples: [Double] = []
        samples.reserveCapacity(iterations)
        var perSource = Array(repeating: [Double](), count: registry.names.count)
        var walked = 0
        for _ in 0..<iterations {
            let start = Clock.monotonicNanos()
            _ = registry.collect()
            samples.append(Double(Clock.monotonicNanos() - start) / 1000)
            for (i, c) in registry.costNanos.enumerated() { perSource[i].append(Double(c) / 1000) }
            if registry.value(of: TCPCollector.self)?.walk != nil { walked += 1 }
        }
        let tcp = registry.value(of: TCPCollector.self)
        let source = tcp.map { $0.source == "netlink" ? "netlink, \(walked) of \(iterations) walked the hash" : $0.source } ?? "-"
        let costs = zip(registry.names, perSource).map { ($0, Timing(name: $0, samplesMicros: $1).percentile(50)) }
        return (Timing(name: name, samplesMicros: samples), tcp?.states.established, source, costs)
    }

    /// Serialises one live snapshot into its SSE frame `iterations` times.
    public static func serialisation(iterations: Int) -> Timing {
        var registry = Registry.standard(procRoot: "/proc")
        registry.prime()
        _ = registry.collect()
        let identity = Identity(host: ProcessInfo.hostname(), version: Configuration.version, intervalSeconds: 1)
        var samples: [Double] = []
        var frame: [UInt8] = []
        for i in 0..<iterations {
            let start = Clock.monotonicNanos()
            let json = registry.json(identity, wallMillis: Clock.wallMillis(), clients: 10_000, collectMicros: 0)
            frame.removeAll(keepingCapacity: true)
            SSE.appendEvent(to: &frame, id: String(1_795_618_210_385 + i), event: "metrics", data: json)
            samples.append(Double(Clock.monotonicNanos() - start) / 1000)
        }
        return Timing(name: "serialise one snapshot to its SSE frame (\(frame.count) bytes)", samplesMicros: samples)
    }

    /// One collection of the per-unit view of the cgroup tree at `root`, `iterations` times
    /// (after a first one that discovers and opens the files). Per tick and per unit.
    public static func units(name: String, root: String, iterations: Int) -> (tick: Timing, perUnit: Double, units: Int) {
        let collector = UnitsCollector(cgroupRoot: root)
        var now = Clock.monotonicNanos()
        _ = collector.collect(nowNanos: now)
        var samples: [Double] = []
        samples.reserveCapacity(iterations)
        for _ in 0..<iterations {
            now += 1_000_000_000   // a tick a second: discovery (at most once a second) included
            let start = Clock.monotonicNanos()
            _ = collector.collect(nowNanos: now)
            samples.append(Double(Clock.monotonicNanos() - start) / 1000)
        }
        let timing = Timing(name: name, samplesMicros: samples)
        let units = collector.unitCount
        return (timing, units > 0 ? timing.percentile(50) / Double(units) : 0, units)
    }

    /// Renders `/metrics` (live /proc host series, the per-unit view of the tree at `root`, the
    /// daemon's series) `iterations` times, from one collection: what a tick's first scrape costs.
    public static func metricsRender(root: String, iterations: Int) -> (Timing, bytes: Int, series: Int) {
        var registry = Registry.standard(procRoot: "/proc")
        registry.prime()
        _ = registry.collect()
        let units = UnitsCollector(cgroupRoot: root)
        let samples = (try? units.collect(nowNanos: Clock.monotonicNanos()).get()) ?? []
        var body: [UInt8] = []
        var timings: [Double] = []
        timings.reserveCapacity(iterations)
        for _ in 0..<iterations {
            let start = Clock.monotonicNanos()
            var input = Exposition.input(registry, clockTicksPerSecond: 100, wallSeconds: Double(Clock.wallMillis()) / 1000)
            input.units = samples
            input.daemon = Exposition.Daemon(version: Configuration.version, subscribers: 10, eventsSent: 123_456, subscribersDropped: 0,
                                             connectionsRefused: 0, collectSeconds: 0.0012, sources: registry.sources.map { ($0.name, true) })
            body = Exposition.render(input)
            timings.append(Double(Clock.monotonicNanos() - start) / 1000)
        }
        let series = body.split(separator: 0x0a).filter { $0.first != 0x23 }.count
        return (Timing(name: "render /metrics, \(samples.count) units", samplesMicros: timings), body.count, series)
    }

    /// A v2 tree of `count` units made from one fixture unit's files, under a temporary
    /// directory (the caller removes it).
    public static func makeUnitTree(from unitDirectory: String, count: Int) -> String? {
        let root = "/tmp/procstream-bench-units-\(getpid())"
        guard mkdir(root, 0o755) == 0, mkdir(root + "/system.slice", 0o755) == 0 else { return nil }
        _ = FileWriter.write(root + "/cgroup.controllers", "cpu io memory pids\n")
        guard let files = try? Directory.entries(unitDirectory).filter({ !$0.isDirectory }).map(\.name) else { return nil }
        let buffer = ReadBuffer(capacity: 64 * 1024)
        for i in 0..<count {
            let dir = "\(root)/system.slice/unit-\(i).service"
            guard mkdir(dir, 0o755) == 0 else { return nil }
            for f in files {
                guard (try? Files.read(path: unitDirectory + "/" + f, into: buffer, limit: 1 << 20)) != nil else { continue }
                _ = FileWriter.write(dir + "/" + f, String(decoding: buffer.bytes, as: UTF8.self))
            }
        }
        return root
    }
}

/// Writes small files for the benchmark's throw-away trees.
enum FileWriter {
    static func write(_ path: String, _ text: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return text.utf8.withContiguousStorageIfAvailable { Glibc.write(fd, $0.baseAddress, $0.count) == $0.count } ?? false
    }
}
