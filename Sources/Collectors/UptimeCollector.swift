import ProcParsers

/// `uptime`: seconds since boot, from /proc/uptime.
public struct UptimeCollector: Collector {
    public let name = "uptime"
    public let fields = ["uptime"]

    public init() {}

    public mutating func collect(_ context: inout CollectContext) -> Result<Double?, SourceError> {
        context.proc.read("uptime") { (b) throws(ParseError) in try Parse.uptime(b) }
    }

    public func write(_ value: Double, to w: inout JSONWriter) {
        w.key("uptime"); w.fixed(value, decimals: 2)
    }
}
