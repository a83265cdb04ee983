import HTTP

/// The last N `metrics` events, as sent (already framed, in both stream framings), with their
/// consecutive ids. New
/// subscribers replay from it; reconnecting ones resume from it with Last-Event-ID. Memory is
/// bounded by `capacity` events.
public struct History {
    public let capacity: Int
    private var frames: [StreamBytes] = []
    /// Index in `frames` of the oldest event once the ring is full.
    private var head = 0
    /// Id of the oldest event held.
    public private(set) var oldestID: UInt64 = 0

    public init(capacity: Int) {
        precondition(capacity >= 1)
        self.capacity = capacity
        frames.reserveCapacity(min(capacity, 1024))
    }

    public var count: Int { frames.count }
    public var newestID: UInt64? { frames.isEmpty ? nil : oldestID + UInt64(frames.count) - 1 }
    var byteCount: Int { frames.reduce(0) { $0 + $1.plain.count + $1.chunk.count } }

    /// Appends the event with id `newestID + 1` (or any id when empty), evicting the oldest
    /// when full.
    public mutating func append(id: UInt64, frame: StreamBytes) {
        if let newest = newestID, id != newest + 1 {
            // Ids are consecutive by construction; anything else starts the ring over.
            frames.removeAll(keepingCapacity: true)
            head = 0
        }
        if frames.isEmpty { oldestID = id }
        if frames.count < capacity {
            frames.append(frame)
        } else {
            frames[head] = frame
            head = (head + 1) % capacity
            oldestID += 1
        }
    }

    /// The framed event with this id, if still held.
    public func frame(id: UInt64) -> StreamBytes? {
        guard let newest = newestID, id >= oldestID, id <= newest else { return nil }
        return frames[(head + Int(id - oldestID)) % frames.count]
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
