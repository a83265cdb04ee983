import ProcFS
import ProcParsers

/// What a collection step works with: the reader rooted at the proc root (one shared buffer),
/// and the monotonic time of this tick, for rates.
public struct CollectContext {
    public var proc: ProcReader
    public var nowNanos: UInt64

    public init(proc: ProcReader, nowNanos: UInt64) {
        self.proc = proc
        self.nowNanos = nowNanos
    }
}

/// Something worth one log line: a change in how a source is read, never a per-tick event.
public struct Notice: Equatable, Sendable {
    public enum Level: Sendable { case info, warning }
    public var level: Level
    public var text: String
}

/// One source of the snapshot, in one file: its name, the top-level event fields it writes, and
/// a collection step that returns its value or its own error. A failure nulls exactly its
/// `fields` and is reported with them; the other collectors are unaffected. Registered, in
/// event-field order, in `Registry.standard`.
public protocol Collector {
    associatedtype Value

    /// Names the collector (logs, the registry, benchmarks).
    var name: String { get }
    /// The top-level event fields it writes, in order.
    var fields: [String] { get }
    /// Takes the reading that rates need a predecessor of, so the first collection already has
    /// real figures (CPU, network, disk). The default does nothing.
    mutating func prime(_ context: inout CollectContext)
    /// Reads the source. `.success(nil)`: the source does not exist here (no PSI), which is not
    /// an error: its fields are null and nothing is reported.
    mutating func collect(_ context: inout CollectContext) -> Result<Value?, SourceError>
    /// Writes every field of `fields`, keys included.
    func write(_ value: Value, to w: inout JSONWriter)
    /// A change to log, at most once per change. The default has none.
    mutating func takeNotice() -> Notice?
}

extension Collector {
    public mutating func prime(_ context: inout CollectContext) {}
    public mutating func takeNotice() -> Notice? { nil }
}
