import ProcParsers

/// `disk`: bytes read and written per second (sectors are 512 bytes) and completed reads and
/// writes per second, in all and per whole disk, from /proc/diskstats. Whole disks only: no
/// partitions, no loop, ram, zram or fd devices (node_exporter's default set).
public struct DiskCollector: Collector {
    public struct Value: Equatable {
        public var read: Double
        public var write: Double
        /// Whole disks with a rate this tick, in the kernel's order.
        public var devices: [Device]
        /// The raw counters of the whole disks (for exporters of totals).
        public var counters: [DiskCounters]
    }

    public struct Device: Equatable {
        public var name: String
        public var read: Double
        public var write: Double
        public var reads: Double
        public var writes: Double
    }

    public let name = "disk"
    public let fields = ["disk"]
    private var rates = Rates()

    public init() {}

    public mutating func prime(_ context: inout CollectContext) { _ = collect(&context) }

    public mutating func collect(_ context: inout CollectContext) -> Result<Value?, SourceError> {
        switch context.proc.read("diskstats", { (b) throws(ParseError) in try Parse.diskstats(b) }) {
        case .success(let all?):
            let disks = all.filter { Parse.isWholeDisk($0.name) }
            let readings = disks.map { (name: $0.name, counters: [$0.sectorsRead, $0.sectorsWritten, $0.readsCompleted, $0.writesCompleted]) }
            let devices = rates.update(readings, nowNanos: context.nowNanos).map {
                Device(name: $0.name, read: $0.rates[0] * 512, write: $0.rates[1] * 512, reads: $0.rates[2], writes: $0.rates[3])
            }
            return .success(Value(read: devices.reduce(0) { $0 + $1.read }, write: devices.reduce(0) { $0 + $1.write },
                                  devices: devices, counters: disks))
        case .success(nil):
            return .success(nil)
        case .failure(let error):
            rates = Rates()
            return .failure(error)
        }
    }

    public func write(_ value: Value, to w: inout JSONWriter) {
        w.key("disk")
        w.beginObject()
        w.key("read"); w.fixed(value.read, decimals: 1)
        w.key("write"); w.fixed(value.write, decimals: 1)
        w.key("devices")
        w.beginObject()
        for d in value.devices {
            w.key(d.name)
            w.beginObject()
            w.key("read"); w.fixed(d.read, decimals: 1)
            w.key("write"); w.fixed(d.write, decimals: 1)
            w.key("reads"); w.fixed(d.reads, decimals: 1)
            w.key("writes"); w.fixed(d.writes, decimals: 1)
            w.endObject()
        }
        w.endObject()
        w.endObject()
    }
}
