import ProcFS

/// One collection of every source, taken once per tick and shared by all subscribers. A field
/// whose source failed is nil (JSON null) and the failure is in `errors`.
struct Snapshot: Equatable {
    var wallMillis: Int64
    var cpuPercent: Double?
    /// Per online core, keyed by the kernel's CPU id; a core with no earlier reading (it just
    /// came online) has no figure yet.
    var corePercents: [CorePercent]?
    var memory: MemInfo?
    var load: LoadAvg?
    var tcp: TCPStates?
    var tcpSource: String
    var uptimeSeconds: Double?
    var clients: Int
    var collectMicros: Int
    var errors: [SourceError]
}

struct CorePercent: Equatable {
    var id: Int
    var percent: Double?
}

/// What every event carries about the daemon itself.
struct Identity: Equatable {
    var host: String
    var version: String
    var intervalSeconds: Double
}

extension Snapshot {
    /// The one-line JSON object documented in the README ("Event format").
    func json(_ identity: Identity) -> [UInt8] {
        var w = JSONWriter()
        w.bytes.reserveCapacity(768)
        w.beginObject()
        w.key("timestamp"); w.string(Timestamp.rfc3339(millis: wallMillis))
        w.key("host"); w.string(identity.host)
        w.key("version"); w.string(identity.version)
        w.key("interval"); w.fixed(identity.intervalSeconds, decimals: identity.intervalSeconds < 1 ? 3 : 0)
        w.key("cpu"); optional(&w, cpuPercent) { $0.fixed($1, decimals: 2) }
        w.key("cpu_cores")
        if let corePercents {
            w.beginObject()
            for c in corePercents {
                w.key("cpu\(c.id)")
                optional(&w, c.percent) { $0.fixed($1, decimals: 2) }
            }
            w.endObject()
        } else { w.null() }
        w.key("memory"); optional(&w, memory) { $0.integer($1.usedBytes) }
        w.key("memory_total"); optional(&w, memory) { $0.integer($1.totalBytes) }
        w.key("load")
        if let load {
            w.beginArray()
            w.fixed(load.one, decimals: 2); w.fixed(load.five, decimals: 2); w.fixed(load.fifteen, decimals: 2)
            w.endArray()
        } else { w.null() }
        w.key("threads"); optional(&w, load) { $0.integer($1.threads) }
        w.key("threads_running"); optional(&w, load) { $0.integer($1.runnable) }
        w.key("connections"); optional(&w, tcp) { $0.integer($1.established) }
        w.key("tcp_states")
        if let tcp {
            w.beginObject()
            for (i, name) in TCPStates.names.enumerated().dropLast() { // new_syn_recv never shows in /proc
                w.key(name); w.integer(tcp.counts[i])
            }
            w.endObject()
        } else { w.null() }
        w.key("tcp_source"); w.string(tcpSource)
        w.key("uptime"); optional(&w, uptimeSeconds) { $0.fixed($1, decimals: 2) }
        w.key("clients"); w.integer(clients)
        w.key("collect_us"); w.integer(collectMicros)
        w.endObject()
        return w.bytes
    }

    private func optional<T>(_ w: inout JSONWriter, _ value: T?, _ write: (inout JSONWriter, T) -> Void) {
        if let value { write(&w, value) } else { w.null() }
    }
}

extension SourceError {
    /// `{"source": "...", "message": "..."}` for `event: error`.
    func json() -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.key("source"); w.string(source)
        w.key("message"); w.string(message)
        w.endObject()
        return w.bytes
    }
}
