import Glibc
import HTTP
import Posix
import Streaming

/// A client socket and its state machine. Owned by the table in `Connections`; closed exactly
/// once, by `Connections.close(_:)`.
final class Connection {
    let fd: FileDescriptor
    let generation: UInt32
    var machine: ConnectionMachine
    /// Position in `Connections.subscribers`, or -1.
    var subscriberIndex = -1
    var watchingWritable = false
    /// Answered 503 over the connection limit: not counted among the open connections.
    var refused = false

    init(fd: FileDescriptor, generation: UInt32, machine: ConnectionMachine) {
        self.fd = fd
        self.generation = generation
        self.machine = machine
    }
}

/// The connection table and the thin driver of each connection's machine: it performs the
/// machine's actions with syscalls (accept, recv, send, shutdown, close, epoll interest) and
/// nothing else decides anything here.
final class Connections {
    static let readChunk = 4096
    static let subscriberSendBuffer: CInt = 64 * 1024
    /// Connections refused over --max-connections that may linger at once; past it they are
    /// closed right after the 503.
    static let maxLingeringRefused = 64
    static let busy = Response.error(.serviceUnavailable, "connection limit reached", headers: [("Retry-After", String(Router.retryAfterSeconds))])

    private let config: Configuration
    private let epoll: Epoll
    private let token: (Connection) -> UInt64
    private let publisher: Publisher
    private let access: AccessPolicy
    private let health: Health
    private var table: [Connection?] = []
    private(set) var subscribers: [Connection] = []
    /// Of those, the ones that asked for the per-unit view.
    private(set) var unitSubscribers = 0
    private var nextGeneration: UInt32 = 1
    private var scratch: [UInt8] = []

    private(set) var open = 0
    private var lingeringRefused = 0
    /// Counts since the last housekeeping report.
    var refusedConnections = 0, refusedSubscriptions = 0, droppedSlow = 0
    /// Totals since start, for `/metrics`.
    private(set) var eventsSentTotal: UInt64 = 0, droppedTotal: UInt64 = 0, refusedTotal: UInt64 = 0
    /// Set when a connection closes, so a paused accept can resume.
    var onClose: () -> Void = {}
    /// Run between the slices of a broadcast (see `broadcast`).
    var betweenSlices: () -> Void = {}
    static let broadcastSlice = 256

    init(config: Configuration, epoll: Epoll, publisher: Publisher, access: AccessPolicy, health: Health,
         token: @escaping (Connection) -> UInt64) {
        self.config = config
        self.epoll = epoll
        self.publisher = publisher
        self.access = access
        self.health = health
        self.token = token
        scratch.reserveCapacity(Self.readChunk)
    }

    /// The live connection on `fd` with this generation (an event for a closed-and-reused fd
    /// is stale and gets nil).
    func connection(fd: FileDescriptor, generation: UInt32) -> Connection? {
        let i = Int(fd.rawValue)
        guard i < table.count, let c = table[i], c.generation == generation else { return nil }
        return c
    }

    func isOpen(_ connection: Connection) -> Bool {
        let i = Int(connection.fd.rawValue)
        return i < table.count && table[i] === connection
    }

    // MARK: Accepting

    /// Takes an accepted socket into the table; over --max-connections it is answered 503.
    func register(_ fd: FileDescriptor) {
        let refused = open >= config.connectionLimit
        if refused {
            refusedConnections += 1
            refusedTotal += 1
            // Answer at once rather than leave it in the backlog. A few of these linger (so the
            // 503 is not reset by the request still unread); past that they are closed outright.
            guard lingeringRefused < Self.maxLingeringRefused else {
                _ = Self.busy.withUnsafeBytes { try? Socket.send(fd, $0) }
                fd.close()
                return
            }
        }
        let index = Int(fd.rawValue)
        if index >= table.count {
            table.append(contentsOf: repeatElement(nil, count: max(index + 1 - table.count, table.count)))
        }
        Socket.setNoDelay(fd)
        let now = Clock.monotonicNanos()
        let connection = Connection(fd: fd, generation: nextGeneration, machine: ConnectionMachine(
            now: now, headTimeoutNanos: UInt64(config.requestTimeoutSeconds * 1e9), outputLimit: config.maxQueuedKiB * 1024))
        nextGeneration = nextGeneration & 0xFF_FFFF == 0xFF_FFFF ? 1 : nextGeneration + 1
        do {
            try epoll.add(fd, [.readable, .peerClosed], token: token(connection))
        } catch {
            fd.close()
            return
        }
        table[index] = connection
        if refused {
            connection.refused = true
            lingeringRefused += 1
            perform(connection.machine.refuse(Self.busy, now: now), on: connection)
        } else {
            open += 1
            // The request is usually there already (TCP_DEFER_ACCEPT): answer it in this turn
            // rather than after the rest of the loop's work.
            readFrom(connection)
        }
    }

    // MARK: Events

    func event(_ connection: Connection, _ flags: Epoll.Interest) {
        if flags.contains(.error) {
            close(connection)
            return
        }
        if flags.contains(.writable) {
            sendQueued(connection)
            if isOpen(connection) { pumpReplay(connection) }
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
            let actions = connection.machine.received(scratch, now: Clock.monotonicNanos()) { head in
                var context = routeContext()
                if head.path == "/events" && self.subscribers.count >= self.config.maxClients {
                    self.refusedSubscriptions += 1
                    self.refusedTotal += 1
                }
                if head.path == "/metrics" && access.authorizes(head) {
                    context.metricsBody = publisher.metricsBody(now: Clock.monotonicNanos()) {
                        (self.subscribers.count, self.eventsSentTotal, self.droppedTotal, self.refusedTotal)
                    }
                }
                if head.path == "/units" {
                    switch publisher.unitsPayload(now: Clock.monotonicNanos()) {
                    case .success(let json): context.unitsJSON = json
                    case .failure(let error): context.unitsUnavailable = error.message
                    }
                }
                return Router.route(head, context)
            }
            perform(actions, on: connection)
        }
    }

    private func routeContext() -> RouteContext {
        let now = Clock.monotonicNanos()
        return RouteContext(snapshotJSON: publisher.latestJSON, healthy: health.healthy(publisher, now: now),
                            healthJSON: health.json(publisher, now: now), subscribers: subscribers.count,
                            maxClients: config.maxClients, access: access)
    }

    func perform(_ actions: [ConnectionMachine.Action], on connection: Connection) {
        for action in actions {
            switch action {
            case .send(let bytes):
                write(connection, bytes)
            case .subscribe(let subscription):
                subscribe(connection, subscription)
            case .closeAfterFlush:
                if connection.machine.output.isEmpty { finalResponseSent(connection) }
            case .shutdownWrite:
                Socket.shutdownWrite(connection.fd)
                watchWritable(connection, false)
            case .close:
                close(connection)
            }
            if !isOpen(connection) { return }
        }
    }

    /// The clock moved on: head and flush deadlines, lingering.
    func tick(now: UInt64) {
        for case let connection? in table where connection.subscriberIndex < 0 {
            perform(connection.machine.tick(now: now), on: connection)
        }
    }

    // MARK: Streams

    private func subscribe(_ connection: Connection, _ subscription: Subscription) {
        connection.subscriberIndex = subscribers.count
        subscribers.append(connection)
        if subscription.units != nil { unitSubscribers += 1 }
        // A fixed kernel send buffer instead of autotuning (up to 4 MiB a socket): a subscriber
        // that stops reading then holds at most this in the kernel plus --max-queued-kib here,
        // and is noticed in seconds. One event a tick needs far less.
        Socket.setSendBuffer(connection.fd, bytes: Self.subscriberSendBuffer)
        write(connection, connection.machine.startStream(subscription, history: publisher.history))
        pumpReplay(connection)
    }

    /// Feeds a catching-up subscriber from history as its socket drains.
    private func pumpReplay(_ connection: Connection) {
        while isOpen(connection) {
            switch connection.machine.nextReplay(publisher.history) {
            case .send(let bytes):
                eventsSentTotal += 1
                write(connection, bytes)
            case .caughtUp:
                if !publisher.latestErrorEvents.isEmpty { write(connection, publisher.latestErrorEvents) }
                return
            case .wait, .idle:
                return   // a replay resumes when the socket is writable again
            }
        }
    }

    /// One tick's bytes to every live subscriber (the catching-up ones get them from history);
    /// `units` gives a subscriber with the per-unit view its tick, shared per selection.
    /// Every `broadcastSlice` sends, `betweenSlices` runs (the server accepts and answers new
    /// connections there), so a newcomer waits for one slice, not for every other subscriber.
    /// It may add subscribers (at the end, already greeted with this tick from history) and
    /// close new connections, never the ones this loop has yet to reach.
    func broadcast(_ bytes: StreamBytes, units: ((UnitSelection) -> StreamBytes)? = nil) {
        var i = subscribers.count - 1
        var slice = 0
        while i >= 0 {
            slice += 1
            if slice > Self.broadcastSlice {
                slice = 1
                betweenSlices()
                i = min(i, subscribers.count - 1)
                if i < 0 { break }
            }
            // Backwards, so a subscriber dropped here (swapped with the last) is not skipped.
            let subscriber = subscribers[i]
            if subscriber.machine.isLive {
                eventsSentTotal += 1
                if let units, let selection = subscriber.machine.stream?.units {
                    write(subscriber, units(selection))
                } else {
                    write(subscriber, bytes)
                }
            }
            i -= 1
        }
    }

    // MARK: Writing

    private func write(_ connection: Connection, _ bytes: StreamBytes) {
        write(connection, bytes.bytes(chunked: connection.machine.chunked))
    }

    /// Sends now what the socket takes; queues the rest (bounded); drops the client past the bound.
    private func write(_ connection: Connection, _ bytes: [UInt8]) {
        if !connection.machine.output.isEmpty {
            var failed = false
            let queued = connection.machine.output.send(appending: bytes) { pending, more in
                switch try? Socket.send(connection.fd, pending, more) {
                case .done(let n): return n
                case .wouldBlock: return 0
                case nil: failed = true; return 0
                }
            }
            if failed { close(connection); return }
            if !queued { dropSlow(connection); return }
            afterSend(connection)
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
            if !connection.machine.output.append(bytes[sent...]) { dropSlow(connection); return }
            watchWritable(connection, true)
        }
    }

    /// Sends what is queued and keeps the EPOLLOUT interest in step with what is left.
    private func sendQueued(_ connection: Connection) {
        var failed = false
        connection.machine.output.drain { pending in
            switch try? Socket.send(connection.fd, pending) {
            case .done(let n): return n
            case .wouldBlock: return 0
            case nil: failed = true; return 0
            }
        }
        if failed { close(connection); return }
        afterSend(connection)
    }

    private func afterSend(_ connection: Connection) {
        if connection.machine.output.isEmpty && connection.machine.closesAfterFlush { finalResponseSent(connection); return }
        watchWritable(connection, !connection.machine.output.isEmpty)
    }

    /// The last response has left: the machine half-closes and lingers.
    private func finalResponseSent(_ connection: Connection) {
        perform(connection.machine.flushed(now: Clock.monotonicNanos()), on: connection)
    }

    private func watchWritable(_ connection: Connection, _ on: Bool) {
        guard connection.watchingWritable != on else { return }
        connection.watchingWritable = on
        let interest: Epoll.Interest = on ? [.readable, .peerClosed, .writable] : [.readable, .peerClosed]
        do { try epoll.modify(connection.fd, interest, token: token(connection)) } catch { close(connection) }
    }

    // MARK: Closing

    private func dropSlow(_ connection: Connection) {
        droppedSlow += 1
        droppedTotal += 1
        close(connection)
    }

    func close(_ connection: Connection) {
        let index = Int(connection.fd.rawValue)
        guard index < table.count, table[index] === connection else { return }
        table[index] = nil
        if connection.refused { lingeringRefused -= 1 } else { open -= 1 }
        if connection.subscriberIndex >= 0 {
            if connection.machine.stream?.units != nil { unitSubscribers -= 1 }
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
        onClose()
    }

    /// Every connection, at shutdown: subscribers that have taken everything get a clean end.
    func closeAll(goodbye: StreamBytes) {
        for case let connection? in table {
            if let end = connection.machine.goodbye(goodbye) {
                _ = end.withUnsafeBytes { try? Socket.send(connection.fd, $0) }
            }
            Socket.shutdownWrite(connection.fd)
            close(connection)
        }
    }
}
