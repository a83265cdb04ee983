import ProcParsers

/// `load` (1, 5, 15 minutes), `threads` and `threads_running` from /proc/loadavg.
public struct LoadCollector: Collector {
    public let name = "load"
    public let fields = ["load", "threads", "threads_running"]

    public init() {}

    public mutating func collect(_ context: inout CollectContext) -> Result<LoadAvg?, SourceError> {
        context.proc.read("loadavg") { (b) throws(ParseError) in try Parse.loadavg(b) }
    }

    public func write(_ value: LoadAvg, to w: inout JSONWriter) {
        w.key("load")
        w.beginArray()
        w.fixed(value.one, decimals: 2); w.fixed(value.five, decimals: 2); w.fixed(value.fifteen, decimals: 2)
        w.endArray()
        w.key("threads"); w.integer(value.threads)
        w.key("threads_running"); w.integer(value.runnable)
    }
}
