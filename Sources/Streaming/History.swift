import HTTP

/// The last ticks' events, as sent (the `metrics` event framed in both stream framings, and the
/// tick's per-unit view if it was collected), with their consecutive ids. New subscribers
/// replay from it; reconnecting ones resume from it with Last-Event-ID. Memory is bounded both
/// by `capacity` ticks and by `byteLimit` bytes: past either, the oldest ticks go.
public struct History {
    struct Tick {
        var metrics: StreamBytes
        var units: UnitsFrame?
        var byteCount: Int { metrics.plain.count + metrics.chunk.count + (units?.byteCount ?? 0) }
    }

    public let capacity: Int
    public let byteLimit: Int
    /// A ring of `capacity` slots; `count` of them, from `head`, hold ticks.
    private var ring: [Tick?]
    private var head = 0
    public private(set) var count = 0
    /// Id of the oldest tick held.
    public private(set) var oldestID: UInt64 = 0
    public private(set) var byteCount = 0

    public init(capacity: Int, byteLimit: Int = .max) {
        precondition(capacity >= 1)
        self.capacity = capacity
        self.byteLimit = byteLimit
        ring = []
        ring.reserveCapacity(min(capacity, 1024))
    }

    public var newestID: UInt64? { count == 0 ? nil : oldestID + UInt64(count) - 1 }

    private func slot(_ i: Int) -> Int { (head + i) % capacity }

    /// Appends the tick with id `newestID + 1` (or any id when empty), evicting the oldest past
    /// either bound (the newest is always kept).
    public mutating func append(id: UInt64, frame: StreamBytes, units: UnitsFrame? = nil) {
        if let newest = newestID, id != newest + 1 {
            // Ids are consecutive by construction; anything else starts the ring over.
            ring.removeAll(keepingCapacity: true)
            head = 0
            count = 0
            byteCount = 0
        }
        if count == 0 { oldestID = id }
        if count == capacity { dropOldest() }
        let tick = Tick(metrics: frame, units: units)
        let index = slot(count)
        if index < ring.count { ring[index] = tick } else { ring.append(tick) }
        count += 1
        byteCount += tick.byteCount
        while byteCount > byteLimit && count > 1 { dropOldest() }
    }

    private mutating func dropOldest() {
        byteCount -= ring[head]?.byteCount ?? 0
        ring[head] = nil
        head = (head + 1) % capacity
        count -= 1
        oldestID += 1
    }

    private func tick(id: UInt64) -> Tick? {
        guard let newest = newestID, id >= oldestID, id <= newest else { return nil }
        return ring[slot(Int(id - oldestID))]
    }

    /// The `metrics` event with this id, if still held.
    public func frame(id: UInt64) -> StreamBytes? { tick(id: id)?.metrics }

    /// What a subscriber with this selection was sent for the tick: the `metrics` event, and
    /// the `units` event when it asked for units and the tick has them.
    public func frame(id: UInt64, units selection: UnitSelection?) -> StreamBytes? {
        guard let tick = tick(id: id) else { return nil }
        guard let selection, let units = tick.units else { return tick.metrics }
        return StreamBytes(tick.metrics.plain + units.event(selection))
    }

    /// Where a new subscription starts replaying: the first id to send. `lastEventID` is what
    /// a reconnecting client saw last; `replay` how many recent events a fresh one wants (at
    /// least the latest is always sent). Returns `newestID + 1` when there is nothing to send.
    public func startID(lastEventID: UInt64?, replay: Int) -> (start: UInt64, gap: Bool) {
        guard let newest = newestID else { return (0, false) }
        if let last = lastEventID {
            if last &+ 1 >= oldestID && last <= newest { return (last + 1, false) }   // exactly what was missed
            // Older than the ring (or from before a restart), or newer than anything we sent
            // (another instance): everything held, and say there may be a gap.
            return (oldestID, true)
        }
        let n = UInt64(min(max(replay, 1), count))
        return (newest - n + 1, false)
    }
}
