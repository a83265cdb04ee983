import ProcParsers

/// `network`: received and sent bytes per second, in all and per interface, from /proc/net/dev,
/// over the time between two reads. Loopback is left out of both.
public struct NetworkCollector: Collector {
    public struct Value: Equatable {
        public var rx: Double
        public var tx: Double
        /// Interfaces with a rate this tick, in the kernel's order.
        public var interfaces: [Interface]
        /// The raw counters read (for exporters of totals), loopback included.
        public var counters: [NetDevCounters]
    }

    public struct Interface: Equatable {
        public var name: String
        public var rx: Double
        public var tx: Double
    }

    public let name = "network"
    public let fields = ["network"]
    private var rates = Rates()

    public init() {}

    public mutating func prime(_ context: inout CollectContext) { _ = collect(&context) }

    public mutating func collect(_ context: inout CollectContext) -> Result<Value?, SourceError> {
        switch context.proc.read("net/dev", { (b) throws(ParseError) in try Parse.netDev(b) }) {
        case .success(let counters?):
            let readings = counters.filter { $0.name != "lo" }.map { (name: $0.name, counters: [$0.rxBytes, $0.txBytes]) }
            let interfaces = rates.update(readings, nowNanos: context.nowNanos).map { Interface(name: $0.name, rx: $0.rates[0], tx: $0.rates[1]) }
            return .success(Value(rx: interfaces.reduce(0) { $0 + $1.rx }, tx: interfaces.reduce(0) { $0 + $1.tx },
                                  interfaces: interfaces, counters: counters))
        case .success(nil):
            return .success(nil)
        case .failure(let error):
            rates = Rates()
            return .failure(error)
        }
    }

    public func write(_ value: Value, to w: inout JSONWriter) {
        w.key("network")
        w.beginObject()
        w.key("rx"); w.fixed(value.rx, decimals: 1)
        w.key("tx"); w.fixed(value.tx, decimals: 1)
        w.key("interfaces")
        w.beginObject()
        for i in value.interfaces {
            w.key(i.name)
            w.beginObject()
            w.key("rx"); w.fixed(i.rx, decimals: 1)
            w.key("tx"); w.fixed(i.tx, decimals: 1)
            w.endObject()
        }
        w.endObject()
        w.endObject()
    }
}
