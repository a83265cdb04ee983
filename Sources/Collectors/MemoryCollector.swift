import ProcParsers

/// `memory` (bytes in use: MemTotal - MemAvailable) and `memory_total` from /proc/meminfo.
public struct MemoryCollector: Collector {
    public let name = "memory"
    public let fields = ["memory", "memory_total"]

    public init() {}

    public mutating func collect(_ context: inout CollectContext) -> Result<MemInfo?, SourceError> {
        context.proc.read("meminfo") { (b) throws(ParseError) in try Parse.meminfo(b) }
    }

    public func write(_ value: MemInfo, to w: inout JSONWriter) {
        w.key("memory"); w.integer(value.usedBytes)
        w.key("memory_total"); w.integer(value.totalBytes)
    }
}
