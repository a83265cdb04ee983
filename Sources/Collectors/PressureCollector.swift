import ProcParsers

/// `pressure`: the avg10 share of time some (and, where the kernel has it, all) tasks stalled on
/// CPU, memory and IO, host-wide, from /proc/pressure (PSI, Linux 4.20+). A kernel without PSI
/// (no /proc/pressure, or reads failing with EOPNOTSUPP when booted with psi=0) gives
/// `"pressure":null` and no error: absent, not failing. cpu's `full` is null before 5.13.
public struct PressureCollector: Collector {
    public struct Value: Equatable {
        public var cpu: Pressure
        public var memory: Pressure
        public var io: Pressure
    }

    public let name = "pressure"
    public let fields = ["pressure"]
    static let absent: [Int32] = [2 /* ENOENT */, 95 /* EOPNOTSUPP */]

    public init() {}

    public mutating func collect(_ context: inout CollectContext) -> Result<Value?, SourceError> {
        var read: [Pressure] = []
        for resource in ["cpu", "memory", "io"] {
            let file = "pressure/\(resource)"
            switch context.proc.read(file, absentErrors: Self.absent, { (b) throws(ParseError) in try Parse.pressure(b, file: file) }) {
            case .success(let p?): read.append(p)
            case .success(nil): return .success(nil)
            case .failure(let error): return .failure(error)
            }
        }
        return .success(Value(cpu: read[0], memory: read[1], io: read[2]))
    }

    public func write(_ value: Value, to w: inout JSONWriter) {
        w.key("pressure")
        w.beginObject()
        for (name, p) in [("cpu", value.cpu), ("memory", value.memory), ("io", value.io)] {
            w.key(name)
            w.beginObject()
            w.key("some"); w.fixed(p.some.avg10, decimals: 2)
            w.key("full")
            if let full = p.full { w.fixed(full.avg10, decimals: 2) } else { w.null() }
            w.endObject()
        }
        w.endObject()
    }
}
