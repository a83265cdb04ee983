import Collectors
import Posix

/// What `/healthz` and systemd's `STATUS=` say: whether ticks happen and every source reads.
struct Health {
    let intervalNanos: UInt64

    func healthy(_ publisher: Publisher, now: UInt64) -> Bool {
        publisher.failingSources.isEmpty && now - publisher.lastTickNanos <= 2 * intervalNanos + 1_000_000_000
    }

    func json(_ publisher: Publisher, now: UInt64) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.key("status"); w.string(healthy(publisher, now: now) ? "ok" : "failing")
        w.key("last_tick_ms_ago"); w.integer((now - publisher.lastTickNanos) / 1_000_000)
        w.key("failing_sources")
        w.beginArray()
        for source in publisher.failingSources.keys.sorted() { w.string(source) }
        w.endArray()
        w.endObject()
        return w.bytes
    }

    func statusText(_ publisher: Publisher, subscribers: Int) -> String {
        let failing = publisher.failingSources.isEmpty ? "" : "; failing: \(publisher.failingSources.keys.sorted().joined(separator: ", "))"
        return "\(subscribers) subscriber(s); last collection \(publisher.lastCollectMicros) us\(failing)"
    }
}
