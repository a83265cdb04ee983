import HTTP

/// One tick's per-unit view, kept as one JSON object per unit (in the order sent: CPU, highest
/// first), so the `units` event of any selection is a concatenation: built once per tick and
/// selection, never per subscriber, and rebuilt from history for a replay.
public struct UnitsFrame: Sendable {
    public struct Unit: Sendable {
        public let name: String
        /// `{"unit":"nginx.service","slice":"system.slice","cpu":12.50,…}`
        public let json: [UInt8]
        public init(name: String, json: [UInt8]) {
            self.name = name
            self.json = json
        }
    }

    public let id: UInt64
    /// The snapshot's RFC 3339 time.
    public let timestamp: String
    public let units: [Unit]
    /// What reading the whole view took, in microseconds (discovery included when it ran).
    public let collectMicros: UInt64
    public let byteCount: Int

    public init(id: UInt64, timestamp: String, units: [Unit], collectMicros: UInt64 = 0) {
        self.id = id
        self.timestamp = timestamp
        self.units = units
        self.collectMicros = collectMicros
        byteCount = units.reduce(96 + timestamp.utf8.count) { $0 + $1.json.count + $1.name.utf8.count + 32 }
    }

    /// `{"timestamp":"…","units":[…],"collect_us":N}` with the selected units.
    public func payload(_ selection: UnitSelection = .all) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(byteCount)
        out.append(contentsOf: #"{"timestamp":""#.utf8)
        out.append(contentsOf: timestamp.utf8)
        out.append(contentsOf: #"","units":["#.utf8)
        var first = true
        for unit in units where selection.includes(unit.name) {
            if !first { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: unit.json)
            first = false
        }
        out.append(contentsOf: #"],"collect_us":"#.utf8)
        out.append(contentsOf: String(collectMicros).utf8)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// The SSE event, with the tick's id (the same as its `metrics` event).
    public func event(_ selection: UnitSelection) -> [UInt8] {
        var out: [UInt8] = []
        SSE.appendEvent(to: &out, id: String(id), event: "units", data: payload(selection))
        return out
    }
}
