import Collectors
import HTTP
import Posix

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

    /// Collects `iterations` snapshots from `procRoot` (after one warm-up) and times each.
    public static func collection(name: String, procRoot: String, netlink: Bool, iterations: Int) -> (Timing, connections: UInt64?, source: String) {
        var registry = Registry.standard(procRoot: procRoot, netlink: netlink)
        registry.prime()
        _ = registry.collect()
        var samples: [Double] = []
        samples.reserveCapacity(iterations)
        for _ in 0..<iterations {
            let start = Clock.monotonicNanos()
            _ = registry.collect()
            samples.append(Double(Clock.monotonicNanos() - start) / 1000)
        }
        let tcp = registry.value(of: TCPCollector.self)
        return (Timing(name: name, samplesMicros: samples), tcp?.states.established, tcp?.source ?? "-")
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
}
