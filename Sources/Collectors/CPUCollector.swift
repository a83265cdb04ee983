import ProcParsers

/// `cpu` and `cpu_cores` from /proc/stat: the busy share of the time since the previous read,
/// for all CPUs and per online core (keyed and paired by the kernel's CPU id).
public struct CPUCollector: Collector {
    public struct Value: Equatable {
        public var percent: Double
        /// Per online core in kernel order; nil for a core with no earlier reading.
        public var cores: [(id: Int, percent: Double?)]
        /// The raw counters read (for exporters of totals).
        public var stat: CPUStat

        public static func == (a: Value, b: Value) -> Bool {
            a.percent == b.percent && a.stat == b.stat && a.cores.elementsEqual(b.cores) { $0.id == $1.id && $0.percent == $1.percent }
        }
    }

    public let name = "cpu"
    public let fields = ["cpu", "cpu_cores"]
    private var previous: CPUStat?

    public init() {}

    public mutating func prime(_ context: inout CollectContext) {
        previous = try? read(&context).get()
    }

    public mutating func collect(_ context: inout CollectContext) -> Result<Value?, SourceError> {
        switch read(&context) {
        case .success(let stat):
            defer { previous = stat }
            // Without an earlier reading there is no share to take: no figure this tick.
            guard let previous else { return .success(nil) }
            return .success(Value(percent: stat.total.busyPercent(since: previous.total),
                                  cores: Self.corePercents(stat.cores, since: previous.cores), stat: stat))
        case .failure(let error):
            previous = nil
            return .failure(error)
        }
    }

    private func read(_ context: inout CollectContext) -> Result<CPUStat, SourceError> {
        context.proc.read("stat") { (b) throws(ParseError) in try Parse.stat(b) }.map { $0! }
    }

    /// Pairs cores by CPU id, never by position: a hot-unplug that keeps the count but changes
    /// the set must not compare one core with another. Both lists are in ascending id order.
    static func corePercents(_ now: [CoreTimes], since then: [CoreTimes]) -> [(id: Int, percent: Double?)] {
        var j = then.startIndex
        return now.map { core in
            while j < then.endIndex && then[j].id < core.id { j += 1 }
            let percent = j < then.endIndex && then[j].id == core.id ? core.times.busyPercent(since: then[j].times) : nil
            return (core.id, percent)
        }
    }

    public func write(_ value: Value, to w: inout JSONWriter) {
        w.key("cpu"); w.fixed(value.percent, decimals: 2)
        w.key("cpu_cores")
        w.beginObject()
        for core in value.cores {
            w.key("cpu\(core.id)")
            if let p = core.percent { w.fixed(p, decimals: 2) } else { w.null() }
        }
        w.endObject()
    }
}
