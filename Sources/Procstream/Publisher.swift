import Collectors
import Glibc
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

    /// The per-unit view, made when first wanted.
    private let cgroupRoot: String
    private var units: UnitsCollector?
    /// The discovery hit its bound (units or depth) at least once: said once in the log.
    private var loggedTruncation = false
    /// The latest tick's units (nil when not collected that tick).
    private(set) var latestUnits: UnitsFrame?
    /// `/units` keeps the view collected for a while after each request.
    private var unitsWantedUntilNanos: UInt64 = 0
    static let unitsLingerNanos: UInt64 = 10_000_000_000
    /// This tick's bytes per units selection: serialised once per tick and selection.
    private var unitBytes: [UnitSelection: StreamBytes] = [:]
    /// The samples behind `latestUnits` (raw counters, for `/metrics`).
    private var latestUnitSamples: [UnitSample]?

    /// `/metrics` renders the latest tick at most once (per tick, and again only if a `/units`
    /// request added the per-unit view to it): a hundred scrapers cost about one.
    private var metricsCache: (tick: UInt64, units: Bool, body: [UInt8])?
    private(set) var metricsRenders = 0
    /// A scrape keeps the per-unit view collected this long: longer than the usual scrape
    /// intervals (15 s to 1 min), or its series would come and go between scrapes.
    static let metricsUnitsLingerNanos: UInt64 = 150_000_000_000
    private var lastErrors: [SourceError] = []
    private var lastWallMillis: Int64 = 0
    private static let clockTicksPerSecond = Double(max(1, sysconf(Int32(_SC_CLK_TCK))))

    init(config: Configuration, identity: Identity) {
        self.identity = identity
        registry = Registry.standard(procRoot: config.procRoot)
        history = History(capacity: config.history, byteLimit: config.historyKiB * 1024)
        cgroupRoot = config.cgroupRoot
        // Ids start at the start time in ms, so they keep increasing across restarts.
        nextEventID = UInt64(max(1, Clock.wallMillis()))
    }

    /// Baselines for rates (CPU, network, disk), before the first tick.
    func prime() { registry.prime() }

    /// Collects, serialises and frames this tick; returns the bytes for every live subscriber
    /// without units (`bytes(for:)` gives those with units). The per-unit view is collected
    /// only while someone wants it: `unitSubscribers`, or a recent `/units`.
    func tick(now: UInt64, clients: Int, unitSubscribers: Int = 0) -> StreamBytes {
        let snapshot = registry.snapshot(identity, clients: clients)
        let id = nextEventID
        nextEventID += 1
        latestJSON = snapshot.json
        var metrics: [UInt8] = []
        metrics.reserveCapacity(latestJSON.count + 64)
        SSE.appendEvent(to: &metrics, id: String(id), event: "metrics", data: latestJSON)
        var sourceErrors = snapshot.errors
        latestUnits = nil
        latestUnitSamples = nil
        unitBytes.removeAll(keepingCapacity: true)
        if unitSubscribers > 0 || now < unitsWantedUntilNanos {
            switch collectUnits(id: id, wallMillis: snapshot.wallMillis, now: now) {
            case .success(let frame): latestUnits = frame
            case .failure(let error): sourceErrors.append(error)
            }
        }
        history.append(id: id, frame: StreamBytes(metrics), units: latestUnits)
        var errors: [UInt8] = []
        for error in sourceErrors {
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
        lastWallMillis = snapshot.wallMillis
        lastErrors = sourceErrors
        noteSourceChanges(sourceErrors)
        return latestEvents
    }

    /// This tick's bytes for a subscriber with units: the tick's events and its `units` event
    /// for that selection, built once per tick and selection and shared.
    func bytes(for selection: UnitSelection) -> StreamBytes {
        if let b = unitBytes[selection] { return b }
        guard let frame = latestUnits else { return latestEvents }
        let b = StreamBytes(latestEvents.plain + frame.event(selection))
        unitBytes[selection] = b
        return b
    }

    /// For `/units`: the latest payload, collecting one now if this tick has none, and keeping
    /// the view collected for a while (a poller gets each tick's without a collection per
    /// request). Failure: why there is none.
    func unitsPayload(now: UInt64) -> Result<[UInt8], SourceError> {
        unitsWantedUntilNanos = now + Self.unitsLingerNanos
        if let frame = latestUnits { return .success(frame.payload()) }
        return collectUnits(id: nextEventID - 1, wallMillis: Clock.wallMillis(), now: now).map { frame in
            latestUnits = frame
            return frame.payload()
        }
    }

    /// For `/metrics`: the latest tick in the exposition format, rendered on the first scrape
    /// of the tick and shared by the rest. Never collects; keeps the per-unit view collected
    /// from the next tick on. `daemon`: the connection counters, read when rendering.
    func metricsBody(now: UInt64, daemon: () -> (subscribers: Int, eventsSent: UInt64, dropped: UInt64, refused: UInt64)) -> [UInt8] {
        unitsWantedUntilNanos = max(unitsWantedUntilNanos, now + Self.metricsUnitsLingerNanos)
        let tick = nextEventID - 1
        if let c = metricsCache, c.tick == tick, c.units == (latestUnitSamples != nil) { return c.body }
        var input = Exposition.input(registry, clockTicksPerSecond: Self.clockTicksPerSecond, wallSeconds: Double(lastWallMillis) / 1000)
        input.units = latestUnitSamples
        var sources = registry.sources.map { source in
            (name: source.name, up: !lastErrors.contains { error in error.fields.contains { source.fields.contains($0) } })
        }
        if latestUnitSamples != nil || lastErrors.contains(where: { $0.fields == ["units"] }) {
            sources.append((name: "units", up: latestUnitSamples != nil))
        }
        let d = daemon()
        input.daemon = Exposition.Daemon(version: identity.version, subscribers: d.subscribers, eventsSent: d.eventsSent,
                                         subscribersDropped: d.dropped, connectionsRefused: d.refused,
                                         collectSeconds: Double(lastCollectMicros) / 1e6, sources: sources)
        let body = Exposition.render(input)
        metricsCache = (tick, latestUnitSamples != nil, body)
        metricsRenders += 1
        return body
    }

    private func collectUnits(id: UInt64, wallMillis: Int64, now: UInt64) -> Result<UnitsFrame, SourceError> {
        if units == nil {
            let collector = UnitsCollector(cgroupRoot: cgroupRoot)
            Log.info("per-unit view: \(collector.reader.layoutDescription) under \(cgroupRoot)")
            units = collector
        }
        let start = Clock.monotonicNanos()
        return units!.collect(nowNanos: now)
            .map { samples in
                let micros = (Clock.monotonicNanos() &- start) / 1000
                if units!.truncated && !loggedTruncation {
                    Log.warning("per-unit view: \(cgroupRoot) has more than the discovery bound (10,000 units, 16 levels); the rest are left out")
                    loggedTruncation = true
                }
                latestUnitSamples = samples
                return UnitsFrame(id: id, timestamp: Timestamp.rfc3339(millis: wallMillis),
                           units: samples.map { UnitsFrame.Unit(name: $0.name, json: UnitsCollector.json($0)) },
                           collectMicros: micros)
            }
            .mapError { error in
                var e = error
                e.fields = ["units"]
                return e
            }
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
