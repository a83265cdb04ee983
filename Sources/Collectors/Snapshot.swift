import Posix
import ProcParsers

/// What every event carries about the daemon itself.
public struct Identity: Equatable, Sendable {
    public var host: String
    public var version: String
    public var intervalSeconds: Double

    public init(host: String, version: String, intervalSeconds: Double) {
        self.host = host
        self.version = version
        self.intervalSeconds = intervalSeconds
    }
}

/// One tick: every collector read once, serialised once into the event's JSON object (the
/// README's "Event format"), shared by every subscriber.
public struct Snapshot: Sendable {
    public var json: [UInt8]
    /// When it was taken (CLOCK_REALTIME, ms).
    public var wallMillis: Int64
    /// The sources that failed this tick, each with the fields it nulled.
    public var errors: [SourceError]
    /// What the collection (not the serialisation) cost.
    public var collectMicros: Int
}

extension Registry {
    /// Collects every source and serialises the result. `clients`: subscribers at this moment.
    public mutating func snapshot(_ identity: Identity, clients: Int) -> Snapshot {
        let wallMillis = Clock.wallMillis()
        let started = Clock.monotonicNanos()
        let errors = collect()
        let micros = Int((Clock.monotonicNanos() - started) / 1000)
        return Snapshot(json: json(identity, wallMillis: wallMillis, clients: clients, collectMicros: micros),
                        wallMillis: wallMillis, errors: errors, collectMicros: micros)
    }

    /// The event's JSON object from the last collection: the daemon's identity, every
    /// collector's fields in registry order, then `clients` and `collect_us`.
    public func json(_ identity: Identity, wallMillis: Int64, clients: Int, collectMicros: Int) -> [UInt8] {
        var w = JSONWriter()
        w.bytes.reserveCapacity(1024)
        w.beginObject()
        w.key("timestamp"); w.string(Timestamp.rfc3339(millis: wallMillis))
        w.key("host"); w.string(identity.host)
        w.key("version"); w.string(identity.version)
        w.key("interval"); w.fixed(identity.intervalSeconds, decimals: identity.intervalSeconds < 1 ? 3 : 0)
        write(to: &w)
        w.key("clients"); w.integer(clients)
        w.key("collect_us"); w.integer(collectMicros)
        w.endObject()
        return w.bytes
    }
}

extension SourceError {
    /// `{"source":"meminfo","message":"…","fields":["memory","memory_total"]}` for `event: error`.
    public func json() -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.key("source"); w.string(source)
        w.key("message"); w.string(message)
        w.key("fields")
        w.beginArray()
        for field in fields { w.string(field) }
        w.endArray()
        w.endObject()
        return w.bytes
    }
}
