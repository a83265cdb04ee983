/// Per-second rates of monotonic counters keyed by name (interfaces, disks), between two reads.
/// A name seen for the first time, or whose counter went backwards (a reset, a 32-bit wrap, a
/// device replaced under the same name), has no rate for that tick: never a negative or a
/// giant figure.
struct Rates {
    private var previous: [String: [UInt64]] = [:]
    private var previousNanos: UInt64?

    /// Stores this reading; returns each name's rates since the last one, in the given order
    /// (names without a rate are left out). Nothing the first time, or if no time passed.
    mutating func update(_ readings: [(name: String, counters: [UInt64])], nowNanos: UInt64) -> [(name: String, rates: [Double])] {
        defer {
            previous = Dictionary(readings.map { ($0.name, $0.counters) }, uniquingKeysWith: { a, _ in a })
            previousNanos = nowNanos
        }
        guard let then = previousNanos, nowNanos > then else { return [] }
        let seconds = Double(nowNanos - then) / 1e9
        return readings.compactMap { reading in
            guard let before = previous[reading.name], before.count == reading.counters.count,
                  zip(reading.counters, before).allSatisfy({ $0 >= $1 }) else { return nil }
            return (reading.name, zip(reading.counters, before).map { Double($0 - $1) / seconds })
        }
    }
}
