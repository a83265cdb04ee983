import Collectors
import Glibc
import HTTP
import Posix
import Streaming

/// The daemon's wiring: one thread, one epoll set over the listeners, the connections, a tick
/// timer, a housekeeping timer, an optional watchdog timer and a signalfd. What a tick is lives
/// in `Publisher`, what a connection does in `ConnectionMachine`, performed by `Connections`.
public final class Server {
    private enum Kind: UInt8 { case listener = 1, client, tick, housekeeping, watchdog, signal }

    static let heartbeatNanos: UInt64 = 15_000_000_000
    static let keepalive = StreamBytes(SSE.comment("keepalive"))
    static let goodbye = StreamBytes(SSE.comment("procstreamd is shutting down"))

    let config: Configuration
    private let epoll: Epoll
    private let signals: FileDescriptor
    private let tickTimer: FileDescriptor
    private let housekeepingTimer: FileDescriptor
    private var watchdogTimer: FileDescriptor?
    private let listeners: Startup.Listeners
    private let notifier = Notifier()
    private let access: AccessPolicy
    private let health: Health
    private let publisher: Publisher
    private var connections: Connections!
    private var acceptPaused = false
    private var lastBroadcastNanos: UInt64 = 0
    private var lastStatus = ""
    private var lastStatusNanos: UInt64 = 0
    private var running = true

    /// Binds (or takes from systemd) the listeners and sets up timers and signals. It blocks
    /// SIGTERM, SIGINT and SIGHUP itself (`SignalFD.create`, first thing), for the calling
    /// thread: create the server before starting any other thread.
    public init(config: Configuration) throws {
        self.config = config
        signals = try SignalFD.create([SIGTERM, SIGINT, SIGHUP])
        let descriptors = ProcessInfo.raiseDescriptorLimit()
        if descriptors < config.connectionLimit + 64 {
            Log.warning("descriptor limit \(descriptors) is below --max-connections (\(config.connectionLimit)) plus what the daemon needs; raise LimitNOFILE= or lower --max-connections")
        }
        epoll = try Epoll(capacity: 1024)
        tickTimer = try TimerFD.create()
        housekeepingTimer = try TimerFD.create()
        access = AccessPolicy(token: try config.tokenFile.map(Startup.readToken), allowedOrigins: config.allowedOrigins)
        health = Health(intervalNanos: config.intervalNanos)
        publisher = Publisher(config: config, identity: Identity(host: ProcessInfo.hostname(), version: Configuration.version,
                                                                  intervalSeconds: config.intervalSeconds))
        listeners = try Startup.listeners(config)
        connections = Connections(config: config, epoll: epoll, publisher: publisher, access: access, health: health) {
            EpollToken.make(kind: Kind.client.rawValue, generation: $0.generation, fd: $0.fd)
        }
        connections.onClose = { [unowned self] in if acceptPaused { resumeAccepting() } }
        connections.betweenSlices = { [unowned self] in
            if !acceptPaused { for fd in listeners.fds { acceptAll(fd, limit: 32) } }
        }

        for fd in listeners.fds { try epoll.add(fd, .readable, token: EpollToken.make(kind: Kind.listener.rawValue, fd: fd)) }
        try epoll.add(signals, .readable, token: EpollToken.make(kind: Kind.signal.rawValue, fd: signals))
        try epoll.add(tickTimer, .readable, token: EpollToken.make(kind: Kind.tick.rawValue, fd: tickTimer))
        try epoll.add(housekeepingTimer, .readable, token: EpollToken.make(kind: Kind.housekeeping.rawValue, fd: housekeepingTimer))
        if let period = notifier.watchdogPeriodNanos {
            let fd = try TimerFD.create()
            try TimerFD.arm(fd, initialNanos: period, intervalNanos: period)
            try epoll.add(fd, .readable, token: EpollToken.make(kind: Kind.watchdog.rawValue, fd: fd))
            watchdogTimer = fd
        }
    }

    /// Runs until SIGTERM or SIGINT. Returns normally after a clean shutdown.
    public func run() throws {
        // The first snapshot needs baselines for its rates: take them, wait a moment, then
        // collect, so the very first event already carries real figures.
        publisher.prime()
        Clock.sleep(nanos: min(config.intervalNanos, 100_000_000))
        tick(now: Clock.monotonicNanos())
        try TimerFD.arm(tickTimer, initialNanos: config.intervalNanos, intervalNanos: config.intervalNanos)
        try TimerFD.arm(housekeepingTimer, initialNanos: 1_000_000_000, intervalNanos: 1_000_000_000)
        notifier.ready(status: health.statusText(publisher, subscribers: 0))
        if access.token != nil || !access.allowedOrigins.isEmpty {
            Log.info("access: \(access.token != nil ? "token required (except /healthz)" : "no token"); cross-origin: \(access.allowedOrigins.isEmpty ? "none" : access.allowedOrigins.joined(separator: " "))")
        }
        Log.info("procstreamd \(Configuration.version) ready: interval \(config.intervalSeconds)s, proc root \(config.procRoot), max \(config.maxClients) subscribers, history \(config.history) events, TCP via \(publisher.tcpSource)")

        while running {
            try epoll.wait(timeoutMillis: -1) { event in
                handle(event)
            }
        }
        shutdown()
    }

    private func handle(_ event: Epoll.Event) {
        let fd = EpollToken.fd(event.token)
        switch Kind(rawValue: EpollToken.kind(event.token)) {
        case .client:
            guard let connection = connections.connection(fd: fd, generation: EpollToken.generation(event.token)) else { return } // stale
            connections.event(connection, event.flags)
        case .listener:
            acceptAll(fd)
        case .tick:
            if (try? TimerFD.consume(tickTimer)) ?? 0 > 0 { tick(now: Clock.monotonicNanos()) }
        case .housekeeping:
            if (try? TimerFD.consume(housekeepingTimer)) ?? 0 > 0 { housekeeping(now: Clock.monotonicNanos()) }
        case .watchdog:
            if let timer = watchdogTimer, (try? TimerFD.consume(timer)) ?? 0 > 0 { watchdog(now: Clock.monotonicNanos()) }
        case .signal:
            while let signo = try? SignalFD.next(signals) {
                if signo == SIGHUP {
                    Log.info("SIGHUP: nothing to reload; restart the service to apply new settings")
                } else {
                    Log.info("received \(signo == SIGTERM ? "SIGTERM" : "SIGINT"), shutting down")
                    running = false
                }
            }
        case nil:
            break
        }
    }

    private func tick(now: UInt64) {
        let bytes = publisher.tick(now: now, clients: connections.subscribers.count, unitSubscribers: connections.unitSubscribers)
        connections.broadcast(bytes, units: connections.unitSubscribers > 0 ? { [publisher] in publisher.bytes(for: $0) } : nil)
        lastBroadcastNanos = now
    }

    private func housekeeping(now: UInt64) {
        connections.tick(now: now)
        if now - lastBroadcastNanos >= Self.heartbeatNanos {
            connections.broadcast(Self.keepalive)
            lastBroadcastNanos = now
        }
        if acceptPaused { resumeAccepting() }
        if connections.refusedConnections > 0 {
            Log.warning("connection limit (\(config.connectionLimit)) reached: refused \(connections.refusedConnections) connection(s) with 503")
            connections.refusedConnections = 0
        }
        if connections.refusedSubscriptions > 0 {
            Log.warning("subscriber limit (\(config.maxClients)) reached: refused \(connections.refusedSubscriptions) subscription(s) with 503")
            connections.refusedSubscriptions = 0
        }
        if connections.droppedSlow > 0 {
            Log.warning("dropped \(connections.droppedSlow) subscriber(s) that stopped reading (over \(config.maxQueuedKiB) KiB queued)")
            connections.droppedSlow = 0
        }
        let status = health.statusText(publisher, subscribers: connections.subscribers.count)
        if status != lastStatus && now - lastStatusNanos >= 5_000_000_000 {
            notifier.status(status)
            lastStatus = status
            lastStatusNanos = now
        }
    }

    private func watchdog(now: UInt64) {
        // Only while ticks really happen: a loop that wakes for the watchdog timer but has not
        // ticked for an interval and a margin is stuck somewhere that matters.
        if now - publisher.lastTickNanos <= config.intervalNanos + 5_000_000_000 {
            notifier.watchdog()
        }
    }

    // MARK: Accepting

    /// Bounded per wakeup (and per broadcast slice) so a connection flood cannot starve ticks
    /// and subscribers.
    private func acceptAll(_ listener: FileDescriptor, limit: Int = 256) {
        for _ in 0..<limit {
            let result: IOResult<FileDescriptor>
            do {
                result = try Socket.accept(listener)
            } catch {
                switch error.code {
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    // Out of descriptors or memory: stop polling the listeners (or the loop
                    // would spin on a backlog it cannot take) until a connection closes or the
                    // next housekeeping second.
                    pauseAccepting(error)
                case ECONNABORTED, EPROTO, EPERM:
                    continue
                default:
                    Log.warning("accept failed: \(error)")
                }
                return
            }
            guard case .done(let fd) = result else { return }
            connections.register(fd)
        }
    }

    private func pauseAccepting(_ error: SyscallError) {
        guard !acceptPaused else { return }
        acceptPaused = true
        for fd in listeners.fds { try? epoll.modify(fd, [], token: EpollToken.make(kind: Kind.listener.rawValue, fd: fd)) }
        Log.warning("not accepting for now: \(error) (\(connections.open) connections open)")
    }

    private func resumeAccepting() {
        guard acceptPaused else { return }
        acceptPaused = false
        for fd in listeners.fds { try? epoll.modify(fd, .readable, token: EpollToken.make(kind: Kind.listener.rawValue, fd: fd)) }
    }

    private func shutdown() {
        notifier.stopping()
        for fd in listeners.fds {
            epoll.remove(fd)
            fd.close()
        }
        for path in listeners.ownedPaths { Socket.removeUnixSocket(path) }
        connections.closeAll(goodbye: Self.goodbye)
        Log.info("stopped")
    }

    /// `--once`: one snapshot as JSON. False when a source failed.
    public static func printOnce(_ config: Configuration) -> Bool { Publisher.printOnce(config) }
}
