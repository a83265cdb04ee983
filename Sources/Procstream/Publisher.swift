import Collectors
import HTTP
import Posix
import ProcParsers
import Streaming

/// The tick: one collection of every source, one serialisation, framed once in both stream
/// framings, kept in the history ring; what every subscriber is then sent. Also what the
/// daemon knows about its sources for logs, `/healthz` and `STATUS=`.
final class Publisher {
    let identity: Identity
    private var registry: Registry
    private(set) var history: History
    private var nextEventID: UInt64

    /// The latest snapshot's JSON object (for `/snapshot`).
    private(set) var latestJSON: [UInt8] = []
    /// The latest tick's events (metrics and any error events), as sent to every subscriber.
    private(set) var latestEvents = StreamBytes.empty
    /// The latest tick's error events alone (sent to a subscriber once its replay is done).
    private(set) var latestErrorEvents = StreamBytes.empty
    private(set) var failingSources: [String: String] = [:]
    private(set) var lastCollectMicros = 0
    private(set) var lastTickNanos: UInt64 = 0

    init(config: Configuration, identity: Identity) {
        self.identity = identity
        registry = Registry.standard(procRoot: config.procRoot)
        history = History(capacity: config.history)
        // Ids start at the start time in ms, so they keep increasing across restarts.
        nextEventID = UInt64(max(1, Clock.wallMillis()))
    }

    /// Baselines for rates (CPU, network, disk), before the first tick.
    func prime() { registry.prime() }

    /// Collects, serialises and frames this tick; returns the bytes for every live subscriber.
    func tick(now: UInt64, clients: Int) -> StreamBytes {
        let snapshot = registry.snapshot(identity, clients: clients)
        let id = nextEventID
        nextEventID += 1
        latestJSON = snapshot.json
        var metrics: [UInt8] = []
        metrics.reserveCapacity(latestJSON.count + 64)
        SSE.appendEvent(to: &metrics, id: String(id), event: "metrics", data: latestJSON)
        history.append(id: id, frame: StreamBytes(metrics))
        var errors: [UInt8] = []
        for error in snapshot.errors {
            SSE.appendEvent(to: &errors, event: "error", data: error.json())
        }
        latestErrorEvents = StreamBytes(errors)
        // One chunk for the whole tick: metrics and its error events arrive together.
        latestEvents = StreamBytes(metrics + errors)
        for notice in registry.takeNotices() {
            notice.level == .warning ? Log.warning(notice.text) : Log.info(notice.text)
        }
        lastCollectMicros = snapshot.collectMicros
        lastTickNanos = now
        noteSourceChanges(snapshot.errors)
        return latestEvents
    }

    /// How TCP states are counted right now, for the start-up line.
    var tcpSource: String { registry.value(of: TCPCollector.self)?.source ?? "proc" }

    /// Failures and recoveries are logged once each, not per tick.
    private func noteSourceChanges(_ errors: [SourceError]) {
        var failing: [String: String] = [:]
        for error in errors {
            failing[error.source] = error.message
            if failingSources[error.source] == nil { Log.warning("source \(error.source) failed: \(error.message)") }
        }
        for source in failingSources.keys where failing[source] == nil {
            Log.info("source \(source) recovered")
        }
        failingSources = failing
    }

    /// `--once`: one snapshot as JSON on stdout. False when a source failed.
    static func printOnce(_ config: Configuration) -> Bool {
        var registry = Registry.standard(procRoot: config.procRoot)
        registry.prime()
        Clock.sleep(nanos: 100_000_000)
        let identity = Identity(host: ProcessInfo.hostname(), version: Configuration.version, intervalSeconds: config.intervalSeconds)
        let snapshot = registry.snapshot(identity, clients: 0)
        ProcessInfo.writeAll(1, String(decoding: snapshot.json, as: UTF8.self) + "\n")
        for error in snapshot.errors { Log.warning("source \(error.source) failed: \(error.message)") }
        return snapshot.errors.isEmpty
    }
}
