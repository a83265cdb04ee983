import Glibc
import HTTP
import Posix
import ProcFS

/// A client socket and its protocol state. Owned by the server's table; closed exactly once,
/// by `Server.close(_:)`.
final class Connection {
    let fd: FileDescriptor
    let generation: UInt32
    var machine: HTTPConnection
    var output: OutputQueue
    /// Position in `Server.subscribers`, or -1.
    var subscriberIndex = -1
    var watchingWritable = false
    /// The final response is queued: once it has left, the connection lingers and closes.
    var closeWhenFlushed = false
    /// HTTP/1.1 subscribers get a chunked stream, HTTP/1.0 ones a close-delimited one.
    var chunked = true
    /// Answered 503 over the connection limit: not counted among the open connections.
    var refused = false
    /// While catching up from history: the id of the next event to send. Live events skip a
    /// replaying subscriber; the replay reaches them through the ring, in order.
    var replayNext: UInt64?

    init(fd: FileDescriptor, generation: UInt32, now: UInt64, outputLimit: Int, headTimeoutNanos: UInt64) {
        self.fd = fd
        self.generation = generation
        machine = HTTPConnection(now: now, headTimeoutNanos: headTimeoutNanos)
        output = OutputQueue(limit: outputLimit)
    }
}

/// The daemon: one thread, one epoll set over the listeners, the clients, a tick timer, a
/// housekeeping timer, an optional watchdog timer and a signalfd.
public final class Server {
    private enum Kind: UInt8 { case listener = 1, client, tick, housekeeping, watchdog, signal }

    static let heartbeatNanos: UInt64 = 15_000_000_000
    static let readChunk = 4096
    static let subscriberSendBuffer: CInt = 64 * 1024
    /// Connections refused over --max-connections that may linger at once; past it they are
    /// closed right after the 503.
    static let maxLingeringRefused = 64
    static let keepalive = StreamBytes(SSE.comment("keepalive"))
    static let goodbye = StreamBytes(SSE.comment("procstreamd is shutting down"))

    /// A replaying subscriber is fed from history only while its queue plus the next frame
    /// stays within this: half the queue bound (at most 64 KiB), so replay alone can never
    /// push a client over --max-queued-kib and get it dropped, and a large --history never
    /// piles up in one client's queue.
    let replayWatermark: Int

    let config: Configuration
    private let epoll: Epoll
    private let signals: FileDescriptor
    private let tickTimer: FileDescriptor
    private let housekeepingTimer: FileDescriptor
    private var watchdogTimer: FileDescriptor?
    private var listeners: [FileDescriptor]
    /// Unix socket paths this process created, removed again on exit.
    private var ownedSocketPaths: [String] = []
    private let notifier = Notifier()

    private var connections: [Connection?] = []
    private var openConnections = 0
    private var lingeringRefused = 0
    private var refusedConnections = 0
    private let access: AccessPolicy
    private var subscribers: [Connection] = []
    private var nextGeneration: UInt32 = 1
    private var acceptPaused = false

    private var collector: Collector
    private let identity: Identity
    private var nextEventID: UInt64
    /// The latest tick's events (metrics and any error events), as sent to every subscriber.
    private var latestEvents = StreamBytes.empty
    /// The latest tick's error events alone (sent to a subscriber once its replay is done).
    private var latestErrorEvents = StreamBytes.empty
    private var history: History
    private var latestJSON: [UInt8] = []
    private var failingSources: [String: String] = [:]
    private var lastCollectMicros = 0
    private var lastTickNanos: UInt64 = 0
    private var lastBroadcastNanos: UInt64 = 0
    private var lastStatus = ""
    private var lastStatusNanos: UInt64 = 0
    private var droppedSlow = 0
    private var refusedOverLimit = 0
    private var running = true
    private var scratch: [UInt8] = []

    /// Binds (or takes from systemd) the listeners and sets up timers and signals. It blocks
    /// SIGTERM, SIGINT and SIGHUP itself (`SignalFD.create`, first thing), for the calling
    /// thread: create the server before starting any other thread.
    public init(config: Configuration) throws {
        self.config = config
        replayWatermark = min(64 * 1024, config.maxQueuedKiB * 1024 / 2)
        signals = try SignalFD.create([SIGTERM, SIGINT, SIGHUP])
        let descriptors = ProcessInfo.raiseDescriptorLimit()
        if descriptors < config.connectionLimit + 64 {
            Log.warning("descriptor limit \(descriptors) is below --max-connections (\(config.connectionLimit)) plus what the daemon needs; raise LimitNOFILE= or lower --max-connections")
        }
        epoll = try Epoll(capacity: 1024)
        tickTimer = try TimerFD.create()
        housekeepingTimer = try TimerFD.create()
        collector = Collector(procRoot: config.procRoot)
        history = History(capacity: config.history)
        access = AccessPolicy(token: try config.tokenFile.map(Self.readToken), allowedOrigins: config.allowedOrigins)
        identity = Identity(host: ProcessInfo.hostname(), version: Configuration.version, intervalSeconds: config.intervalSeconds)
        nextEventID = UInt64(max(1, Clock.wallMillis()))

        let passed = Notifier.listenDescriptors()
        if passed.isEmpty {
            listeners = []
            for address in config.listen {
                let fd = try Socket.listen(address)
                listeners.append(fd)
                if case .unix(let path) = address {
                    ownedSocketPaths.append(path)
                    Socket.allowEveryone(unixPath: path)
                }
                if case .unix = address {
                    Log.info("listening on \(address)")
                } else {
                    let port = (try? Socket.localPort(fd)) ?? 0
                    Log.info("listening on \(Self.describe(address, port: port))")
                }
            }
        } else {
            listeners = passed.filter { Socket.isListeningStream($0) }
            for fd in listeners { try fd.setNonBlocking() }
            Log.info("using \(listeners.count) listening socket(s) from systemd\(config.listenGiven ? "; --listen ignored" : "")")
            if listeners.isEmpty { throw SyscallError("sd_listen_fds: no listening stream socket passed", EINVAL) }
        }

        for fd in listeners { try epoll.add(fd, .readable, token: EpollToken.make(kind: Kind.listener.rawValue, fd: fd)) }
        try epoll.add(signals, .readable, token: EpollToken.make(kind: Kind.signal.rawValue, fd: signals))
        try epoll.add(tickTimer, .readable, token: EpollToken.make(kind: Kind.tick.rawValue, fd: tickTimer))
        try epoll.add(housekeepingTimer, .readable, token: EpollToken.make(kind: Kind.housekeeping.rawValue, fd: housekeepingTimer))
        if let period = notifier.watchdogPeriodNanos {
            let fd = try TimerFD.create()
            try TimerFD.arm(fd, initialNanos: period, intervalNanos: period)
            try epoll.add(fd, .readable, token: EpollToken.make(kind: Kind.watchdog.rawValue, fd: fd))
            watchdogTimer = fd
        }
        scratch.reserveCapacity(Self.readChunk)
    }

    /// The token file's first line, read once. Its content is never logged.
    static func readToken(_ path: String) throws -> [UInt8] {
        let buffer = ReadBuffer(capacity: 4096)
        do { try Files.read(path: path, into: buffer, limit: 4096) } catch {
            throw SyscallError("--token-file \(path): \(error.call)", error.code)
        }
        var token = Array(buffer.bytes.prefix { $0 != 0x0a && $0 != 0x0d })
        while let last = token.last, last == 0x20 || last == 0x09 { token.removeLast() }
        guard token.count >= 16, token.allSatisfy({ $0 > 0x20 && $0 < 0x7f && $0 != UInt8(ascii: ";") }) else {
            throw SyscallError("--token-file \(path): the token must be at least 16 printable characters without spaces or ';'", EINVAL)
        }
        return token
    }

    static func describe(_ address: SocketAddress, port: UInt16) -> String {
        switch address {
        case .ipv4(let host, _): return "\(host):\(port)"
        case .ipv6(let host, _): return "[\(host)]:\(port)"
        case .unix(let path): return "unix:\(path)"
        }
    }

    /// Runs until SIGTERM or SIGINT. Returns normally after a clean shutdown.
    public func run() throws {
        // The first snapshot needs a CPU baseline: take it, wait a moment, then collect, so the
        // very first event already carries a real CPU percentage.
        collector.prime()
        Clock.sleep(nanos: min(config.intervalNanos, 100_000_000))
        tick(now: Clock.monotonicNanos())
        try TimerFD.arm(tickTimer, initialNanos: config.intervalNanos, intervalNanos: config.intervalNanos)
        try TimerFD.arm(housekeepingTimer, initialNanos: 1_000_000_000, intervalNanos: 1_000_000_000)
        notifier.ready(status: statusText())
        if access.token != nil || !access.allowedOrigins.isEmpty {
            Log.info("access: \(access.token != nil ? "token required (except /healthz)" : "no token"); cross-origin: \(access.allowedOrigins.isEmpty ? "none" : access.allowedOrigins.joined(separator: " "))")
        }
        Log.info("procstreamd \(Configuration.version) ready: interval \(config.intervalSeconds)s, proc root \(config.procRoot), max \(config.maxClients) subscribers, history \(config.history) events, TCP via \(collector.tcpSource)")

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
            guard Int(fd.rawValue) < connections.count, let connection = connections[Int(fd.rawValue)],
                  connection.generation == EpollToken.generation(event.token) else { return } // stale event
            clientEvent(connection, event.flags)
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

    // MARK: Ticks

    private func tick(now: UInt64) {
        let snapshot = collector.collect(clients: subscribers.count)
        let id = nextEventID
        nextEventID += 1
        latestJSON = snapshot.json(identity)
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
        switch collector.takeTCPNotice() {
        case .fellBack(let reason)?:
            Log.warning("counting TCP sockets from /proc/net/tcp: netlink sock_diag failed (\(reason)); retrying it with backoff")
        case .recovered?:
            Log.info("counting TCP sockets over netlink sock_diag again")
        case nil:
            break
        }
        lastCollectMicros = snapshot.collectMicros
        lastTickNanos = now
        noteSourceChanges(snapshot.errors)
        broadcast(latestEvents, now: now)
    }

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

    private func broadcast(_ bytes: StreamBytes, now: UInt64) {
        lastBroadcastNanos = now
        var i = subscribers.count - 1
        while i >= 0 {
            // Backwards, so a subscriber dropped here (swapped with the last) is not skipped.
            let subscriber = subscribers[i]
            if subscriber.replayNext == nil { write(subscriber, bytes) }
            i -= 1
        }
    }

    private func housekeeping(now: UInt64) {
        for case let connection? in connections where connection.subscriberIndex < 0 {
            perform(connection.machine.tick(now: now), on: connection)   // head and flush deadlines
        }
        if now - lastBroadcastNanos >= Self.heartbeatNanos {
            broadcast(Self.keepalive, now: now)
        }
        if acceptPaused { resumeAccepting() }
        if refusedConnections > 0 {
            Log.warning("connection limit (\(config.connectionLimit)) reached: refused \(refusedConnections) connection(s) with 503")
            refusedConnections = 0
        }
        if refusedOverLimit > 0 {
            Log.warning("subscriber limit (\(config.maxClients)) reached: refused \(refusedOverLimit) subscription(s) with 503")
            refusedOverLimit = 0
        }
        if droppedSlow > 0 {
            Log.warning("dropped \(droppedSlow) subscriber(s) that stopped reading (over \(config.maxQueuedKiB) KiB queued)")
            droppedSlow = 0
        }
        let status = statusText()
        if status != lastStatus && now - lastStatusNanos >= 5_000_000_000 {
            notifier.status(status)
            lastStatus = status
            lastStatusNanos = now
        }
    }

    private func watchdog(now: UInt64) {
        // Only while ticks really happen: a loop that wakes for the watchdog timer but has not
        // ticked for an interval and a margin is stuck somewhere that matters.
        if now - lastTickNanos <= config.intervalNanos + 5_000_000_000 {
            notifier.watchdog()
        }
    }

    private func statusText() -> String {
        let failing = failingSources.isEmpty ? "" : "; failing: \(failingSources.keys.sorted().joined(separator: ", "))"
        return "\(subscribers.count) subscriber(s); last collection \(lastCollectMicros) us\(failing)"
    }

    private var healthy: Bool {
        failingSources.isEmpty && Clock.monotonicNanos() - lastTickNanos <= 2 * config.intervalNanos + 1_000_000_000
    }

    private func healthJSON() -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.key("status"); w.string(healthy ? "ok" : "failing")
        w.key("last_tick_ms_ago"); w.integer((Clock.monotonicNanos() - lastTickNanos) / 1_000_000)
        w.key("failing_sources")
        w.beginArray()
        for source in failingSources.keys.sorted() { w.string(source) }
        w.endArray()
        w.endObject()
        return w.bytes
    }

    // MARK: Connections

    private func acceptAll(_ listener: FileDescriptor) {
        // Bounded per wakeup so a connection flood cannot starve ticks and subscribers.
        for _ in 0..<256 {
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
            register(fd)
        }
    }

    static let busy = Response.error(.serviceUnavailable, "connection limit reached", headers: [("Retry-After", String(Router.retryAfterSeconds))])

    private func register(_ fd: FileDescriptor) {
        let refused = openConnections >= config.connectionLimit
        if refused {
            refusedConnections += 1
            // Answer at once rather than leave it in the backlog. A few of these linger (so the
            // 503 is not reset by the request still unread); past that they are closed outright.
            guard lingeringRefused < Self.maxLingeringRefused else {
                _ = Self.busy.withUnsafeBytes { try? Socket.send(fd, $0) }
                fd.close()
                return
            }
        }
        let index = Int(fd.rawValue)
        if index >= connections.count {
            connections.append(contentsOf: repeatElement(nil, count: max(index + 1 - connections.count, connections.count)))
        }
        Socket.setNoDelay(fd)
        let connection = Connection(fd: fd, generation: nextGeneration, now: Clock.monotonicNanos(), outputLimit: config.maxQueuedKiB * 1024,
                                    headTimeoutNanos: UInt64(config.requestTimeoutSeconds * 1e9))
        nextGeneration = nextGeneration & 0xFF_FFFF == 0xFF_FFFF ? 1 : nextGeneration + 1
        do {
            try epoll.add(fd, [.readable, .peerClosed], token: token(connection))
        } catch {
            fd.close()
            return
        }
        connections[index] = connection
        if refused {
            connection.refused = true
            lingeringRefused += 1
            perform(connection.machine.refuse(Self.busy, now: Clock.monotonicNanos()), on: connection)
        } else {
            openConnections += 1
        }
    }

    private func token(_ connection: Connection) -> UInt64 {
        EpollToken.make(kind: Kind.client.rawValue, generation: connection.generation, fd: connection.fd)
    }

    private func pauseAccepting(_ error: SyscallError) {
        guard !acceptPaused else { return }
        acceptPaused = true
        for fd in listeners { try? epoll.modify(fd, [], token: EpollToken.make(kind: Kind.listener.rawValue, fd: fd)) }
        Log.warning("not accepting for now: \(error) (\(openConnections) connections open)")
    }

    private func resumeAccepting() {
        guard acceptPaused else { return }
        acceptPaused = false
        for fd in listeners { try? epoll.modify(fd, .readable, token: EpollToken.make(kind: Kind.listener.rawValue, fd: fd)) }
    }

    private func clientEvent(_ connection: Connection, _ flags: Epoll.Interest) {
        if flags.contains(.error) {
            close(connection)
            return
        }
        if flags.contains(.writable) {
            writable(connection)
            if !isOpen(connection) { return }
        }
        if flags.contains(.readable) || flags.contains(.peerClosed) || flags.contains(.hangup) {
            readFrom(connection)
        }
    }

    private func readFrom(_ connection: Connection) {
        let budget = connection.machine.readBudget
        scratch.removeAll(keepingCapacity: true)
        let result: IOResult<Int>
        do {
            result = try Socket.receive(connection.fd, appendingTo: &scratch, count: budget > 0 ? min(budget, Self.readChunk) : Self.readChunk)
        } catch {
            close(connection)
            return
        }
        switch result {
        case .wouldBlock:
            return
        case .done(0):
            perform(connection.machine.peerClosed(), on: connection)
        case .done(let n):
            // A subscriber's input (or anything after a final response) is read and dropped.
            if budget == 0 {
                perform(connection.machine.discarded(n), on: connection)
                return
            }
            let now = Clock.monotonicNanos()
            let context = routeContext()
            let actions = connection.machine.received(scratch, now: now) { head in
                if head.path == "/events" && context.subscribers >= context.maxClients { refusedOverLimit += 1 }
                return Router.route(head, context)
            }
            perform(actions, on: connection)
        }
    }

    private func routeContext() -> RouteContext {
        RouteContext(snapshotJSON: latestJSON, healthy: healthy, healthJSON: healthJSON(),
                     subscribers: subscribers.count, maxClients: config.maxClients, access: access)
    }

    private func perform(_ actions: [HTTPConnection.Action], on connection: Connection) {
        for action in actions {
            switch action {
            case .send(let bytes):
                write(connection, bytes)
            case .subscribe(let lastEventID, let replay, let chunked, let headers):
                subscribe(connection, lastEventID: lastEventID, replay: replay, chunked: chunked, headers: headers)
            case .closeAfterFlush:
                connection.closeWhenFlushed = true
                if connection.output.isEmpty { finalResponseSent(connection) }
            case .shutdownWrite:
                Socket.shutdownWrite(connection.fd)
                watchWritable(connection, false)
            case .close:
                close(connection)
            }
            if !isOpen(connection) { return }
        }
    }

    private func subscribe(_ connection: Connection, lastEventID: UInt64?, replay: Int, chunked: Bool, headers: [RequestHead.Header]) {
        connection.subscriberIndex = subscribers.count
        connection.chunked = chunked
        subscribers.append(connection)
        // A fixed kernel send buffer instead of autotuning (up to 4 MiB a socket): a subscriber
        // that stops reading then holds at most this in the kernel plus --max-queued-kib here,
        // and is noticed in seconds. One event a tick needs far less.
        Socket.setSendBuffer(connection.fd, bytes: Self.subscriberSendBuffer)
        var greeting = SSE.retry(milliseconds: 2000)
        let (start, gap) = history.startID(lastEventID: lastEventID, replay: replay)
        if gap { greeting.append(contentsOf: resumingComment(after: lastEventID ?? 0)) }
        write(connection, Response.eventStreamHead(chunked: chunked, headers: headers.map { ($0.name, $0.value) })
                + StreamBytes(greeting).bytes(chunked: chunked))
        connection.replayNext = start
        pumpReplay(connection)
    }

    /// Tells a subscriber that events after `id` are no longer held (its Last-Event-ID is too
    /// old, or the ring wrapped past it while it caught up).
    private func resumingComment(after id: UInt64) -> [UInt8] {
        SSE.comment("resuming after \(id): older events are gone; replaying the \(history.count) held")
    }

    /// Feeds a catching-up subscriber from history while its queue is short; once it has the
    /// newest event it turns live (and gets the current error events, if any).
    private func pumpReplay(_ connection: Connection) {
        while let next = connection.replayNext, isOpen(connection) {
            guard let frame = history.frame(id: next) else {
                if history.newestID != nil, next < history.oldestID {
                    // The ring wrapped past this client while it caught up: say so, go on.
                    connection.replayNext = history.oldestID
                    write(connection, StreamBytes(resumingComment(after: next - 1)))
                    continue
                }
                connection.replayNext = nil
                if !latestErrorEvents.isEmpty { write(connection, latestErrorEvents) }
                return
            }
            let size = frame.bytes(chunked: connection.chunked).count
            if !connection.output.isEmpty && connection.output.count + size > replayWatermark { return }   // resumes in writable()
            connection.replayNext = next + 1
            write(connection, frame)
        }
    }

    private func isOpen(_ connection: Connection) -> Bool {
        let index = Int(connection.fd.rawValue)
        return index < connections.count && connections[index] === connection
    }

    private func write(_ connection: Connection, _ bytes: StreamBytes) {
        write(connection, bytes.bytes(chunked: connection.chunked))
    }

    /// Sends now what the socket takes; queues the rest (bounded); drops the client past the bound.
    private func write(_ connection: Connection, _ bytes: [UInt8]) {
        if !connection.output.isEmpty {
            var failed = false
            let queued = connection.output.send(appending: bytes) { pending, more in
                switch try? Socket.send(connection.fd, pending, more) {
                case .done(let n): return n
                case .wouldBlock: return 0
                case nil: failed = true; return 0
                }
            }
            if failed { close(connection); return }
            if !queued { dropSlow(connection); return }
            if connection.output.isEmpty && connection.closeWhenFlushed { finalResponseSent(connection); return }
            watchWritable(connection, !connection.output.isEmpty)
            return
        }
        let result: IOResult<Int>
        do {
            result = try bytes.withUnsafeBytes { (b) throws(SyscallError) in try Socket.send(connection.fd, b) }
        } catch {
            close(connection)
            return
        }
        var sent = 0
        if case .done(let n) = result { sent = n }
        if sent < bytes.count {
            if !connection.output.append(bytes[sent...]) { dropSlow(connection); return }
            watchWritable(connection, true)
        }
    }

    /// Sends what is queued and keeps the EPOLLOUT interest in step with what is left.
    private func sendQueued(_ connection: Connection) {
        var failed = false
        connection.output.drain { pending in
            switch try? Socket.send(connection.fd, pending) {
            case .done(let n): return n
            case .wouldBlock: return 0
            case nil: failed = true; return 0
            }
        }
        if failed { close(connection); return }
        if connection.output.isEmpty && connection.closeWhenFlushed { finalResponseSent(connection); return }
        watchWritable(connection, !connection.output.isEmpty)
    }

    /// The last response has left: the machine half-closes and lingers.
    private func finalResponseSent(_ connection: Connection) {
        connection.closeWhenFlushed = false
        perform(connection.machine.flushed(now: Clock.monotonicNanos()), on: connection)
    }

    /// EPOLLOUT: the socket has room again.
    private func writable(_ connection: Connection) {
        sendQueued(connection)
        if isOpen(connection) && connection.replayNext != nil { pumpReplay(connection) }
    }

    private func watchWritable(_ connection: Connection, _ on: Bool) {
        guard connection.watchingWritable != on else { return }
        connection.watchingWritable = on
        let interest: Epoll.Interest = on ? [.readable, .peerClosed, .writable] : [.readable, .peerClosed]
        do { try epoll.modify(connection.fd, interest, token: token(connection)) } catch { close(connection) }
    }

    private func dropSlow(_ connection: Connection) {
        droppedSlow += 1
        close(connection)
    }

    private func close(_ connection: Connection) {
        let index = Int(connection.fd.rawValue)
        guard index < connections.count, connections[index] === connection else { return }
        connections[index] = nil
        if connection.refused { lingeringRefused -= 1 } else { openConnections -= 1 }
        if connection.subscriberIndex >= 0 {
            let i = connection.subscriberIndex
            let last = subscribers.removeLast()
            if i < subscribers.count {
                subscribers[i] = last
                last.subscriberIndex = i
            }
            connection.subscriberIndex = -1
        }
        epoll.remove(connection.fd)
        connection.fd.close()
        if acceptPaused { resumeAccepting() }
    }

    private func shutdown() {
        notifier.stopping()
        for fd in listeners {
            epoll.remove(fd)
            fd.close()
        }
        for path in ownedSocketPaths { Socket.removeUnixSocket(path) }
        for case let connection? in connections {
            // A subscriber that has taken everything gets a clean end: a comment, and for a
            // chunked stream the last chunk. One with output still queued is simply closed.
            if connection.subscriberIndex >= 0 && connection.output.isEmpty {
                let end = Self.goodbye.bytes(chunked: connection.chunked) + (connection.chunked ? Chunked.last : [])
                _ = end.withUnsafeBytes { try? Socket.send(connection.fd, $0) }
            }
            Socket.shutdownWrite(connection.fd)
            close(connection)
        }
        Log.info("stopped")
    }

    /// `--once`: one snapshot as JSON. False when a source failed.
    public static func printOnce(_ config: Configuration) -> Bool {
        var collector = Collector(procRoot: config.procRoot)
        collector.prime()
        Clock.sleep(nanos: 100_000_000)
        let snapshot = collector.collect(clients: 0)
        let identity = Identity(host: ProcessInfo.hostname(), version: Configuration.version, intervalSeconds: config.intervalSeconds)
        ProcessInfo.writeAll(1, String(decoding: snapshot.json(identity), as: UTF8.self) + "\n")
        for error in snapshot.errors { Log.warning("source \(error.source) failed: \(error.message)") }
        return snapshot.errors.isEmpty
    }
}
