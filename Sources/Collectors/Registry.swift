import Posix
import ProcFS
import ProcParsers

/// The ordered list of collectors: one collection of all of them per tick, and their fields in
/// the event in this order. A new source is one line in `standard`.
public struct Registry {
    private var slots: [any CollectorSlot]
    private var context: CollectContext

    /// `netlink`: count TCP states over sock_diag (the live /proc); nil decides by the root.
    /// `tcpAuditNanos`: the longest the TCP established hash goes unwalked (see `TCPCounter`).
    public static func standard(procRoot: String, netlink: Bool? = nil, openNetlink: TCPSource.Opener? = nil,
                                tcpAuditNanos: UInt64 = TCPCounter.defaultAuditNanos) -> Registry {
        // Slots of the concrete types (not `init(procRoot:_:)`), so each one's collect and write
        // are specialised rather than generic code that looks up type metadata every tick.
        Registry(procRoot: procRoot, slots: [
            Slot(collector: CPUCollector()),
            Slot(collector: MemoryCollector()),
            Slot(collector: LoadCollector()),
            Slot(collector: TCPCollector(procRoot: procRoot, netlink: netlink, openNetlink: openNetlink, auditNanos: tcpAuditNanos)),
            Slot(collector: UptimeCollector()),
            Slot(collector: PressureCollector()),
            Slot(collector: NetworkCollector()),
            Slot(collector: DiskCollector()),
        ])
    }

    public init(procRoot: String, _ collectors: [any Collector]) {
        self.init(procRoot: procRoot, slots: collectors.map { Self.slot($0) })
    }

    init(procRoot: String, slots: [any CollectorSlot]) {
        self.slots = slots
        context = CollectContext(proc: ProcReader(root: procRoot), nowNanos: 0)
    }

    private static func slot<C: Collector>(_ collector: C) -> any CollectorSlot { Slot(collector: collector) }

    public var names: [String] { slots.map(\.name) }
    public var fields: [String] { slots.flatMap(\.fields) }
    /// Each collector's name with its fields, in order (which source an error's fields belong to).
    public var sources: [(name: String, fields: [String])] { slots.map { ($0.name, $0.fields) } }

    /// Baselines for rates, taken once before the first collection.
    public mutating func prime() {
        context.nowNanos = Clock.monotonicNanos()
        for i in slots.indices { slots[i].prime(&context) }
    }

    /// What each source's collection took in the last tick, in nanoseconds, in `names` order.
    public private(set) var costNanos: [UInt64] = []

    /// Collects every source; returns the errors of those that failed, each naming its fields.
    public mutating func collect() -> [SourceError] {
        context.nowNanos = Clock.monotonicNanos()
        var errors: [SourceError] = []
        if costNanos.count != slots.count { costNanos = Array(repeating: 0, count: slots.count) }
        var start = context.nowNanos
        for i in slots.indices {
            let failure = slots[i].collect(&context)
            let end = Clock.monotonicNanos()
            costNanos[i] = end &- start
            start = end
            if var error = failure {
                error.fields = slots[i].fields
                errors.append(error)
            }
        }
        return errors
    }

    /// Every collector's fields from the last collection (null for a failed or absent source).
    public func write(to w: inout JSONWriter) {
        for slot in slots { slot.write(to: &w) }
    }

    /// The notices collectors raised since the last call.
    public mutating func takeNotices() -> [Notice] {
        slots.indices.compactMap { slots[$0].takeNotice() }
    }

    /// The last value of the collector of type `C` (tests, and exporters of raw counters).
    public func value<C: Collector>(of type: C.Type) -> C.Value? {
        for slot in slots { if let s = slot as? Slot<C> { return s.value } }
        return nil
    }
}

/// A collector with its last value, behind one protocol so the registry can hold any kind.
protocol CollectorSlot {
    var name: String { get }
    var fields: [String] { get }
    mutating func prime(_ context: inout CollectContext)
    mutating func collect(_ context: inout CollectContext) -> SourceError?
    func write(to w: inout JSONWriter)
    mutating func takeNotice() -> Notice?
}

struct Slot<C: Collector>: CollectorSlot {
    var collector: C
    var value: C.Value?

    init(collector: C) { self.collector = collector }

    var name: String { collector.name }
    var fields: [String] { collector.fields }
    mutating func prime(_ context: inout CollectContext) { collector.prime(&context) }

    mutating func collect(_ context: inout CollectContext) -> SourceError? {
        switch collector.collect(&context) {
        case .success(let v):
            value = v
            return nil
        case .failure(let error):
            value = nil
            return error
        }
    }

    func write(to w: inout JSONWriter) {
        if let value {
            collector.write(value, to: &w)
        } else {
            for field in collector.fields { w.key(field); w.null() }
        }
    }

    mutating func takeNotice() -> Notice? { collector.takeNotice() }
}
