import HTTP

/// One client connection as a state machine, from the first request byte to the close: bytes,
/// clock readings and the history go in, actions and bytes to send come out. It does no I/O, so
/// every path (pipelining, timeouts, errors, subscribing, replay against the queue bound, a
/// history wrap, lingering) is testable without sockets; `Connections` in the daemon performs
/// the actions. The request phase is here; the stream phase is in ConnectionMachine+Stream.
public struct ConnectionMachine {
    public enum State: Equatable {
        /// Waiting for (the rest of) a request head, until `deadline`.
        case awaitingRequest(deadline: UInt64)
        /// Subscribed to the event stream: further input is discarded.
        case streaming(Stream)
        /// Finished: requests are no longer parsed; once output is flushed the connection
        /// lingers, or it is closed at `deadline` if the client will not take it.
        case closing(deadline: UInt64)
        /// The final response is sent and our side shut down (FIN): what the client still
        /// sends is read and dropped until it closes, `deadline` passes, or `lingerByteLimit`
        /// is read. Closing with unread input would send an RST, which can destroy the
        /// response in flight (nginx's lingering close).
        case lingering(deadline: UInt64, discarded: Int)
    }

    /// A subscriber's stream: its framing, and while it catches up from history, the id of the
    /// next event to send (live events skip it until then; the replay reaches them in order).
    public struct Stream: Equatable {
        public var chunked: Bool
        public var replayNext: UInt64?
        /// The units it asked for (nil: none).
        public var units: UnitSelection?
    }

    public enum Action: Equatable {
        case send([UInt8])
        case subscribe(Subscription)
        /// The connection is closing: once everything queued has been sent, call `flushed(now:)`.
        case closeAfterFlush
        /// Shut down the write side (the client reads EOF after the response).
        case shutdownWrite
        /// Close now (the peer is gone or timed out with nothing to say).
        case close
    }

    public internal(set) var state: State
    private(set) var input: [UInt8] = []
    private var parser: RequestParser
    let headTimeoutNanos: UInt64
    /// Output the socket has not taken yet, bounded (past it the client is dropped).
    public var output: OutputQueue
    /// Replay from history fills the queue only up to here: half the bound, at most 64 KiB, so
    /// replay alone can never push a client over the bound and get it dropped.
    let replayWatermark: Int
    public static let lingerNanos: UInt64 = 2_000_000_000
    public static let lingerByteLimit = 1 << 20

    public init(now: UInt64, limits: RequestLimits = RequestLimits(), headTimeoutNanos: UInt64 = 10_000_000_000,
                outputLimit: Int = 256 * 1024) {
        self.headTimeoutNanos = headTimeoutNanos
        parser = RequestParser(limits: limits)
        state = .awaitingRequest(deadline: now + headTimeoutNanos)
        output = OutputQueue(limit: outputLimit)
        replayWatermark = min(64 * 1024, outputLimit / 2)
        input.reserveCapacity(1024)
    }

    /// How many bytes the server may read for this connection now: the head limit bounds the
    /// input buffer; a streaming client's input is read into scratch space and dropped.
    public var readBudget: Int {
        switch state {
        case .awaitingRequest: return max(0, parser.limits.maxHeadBytes + 1 - input.count)
        case .streaming, .closing, .lingering: return 0
        }
    }

    /// Bytes arrived. Handles every complete request in the buffer (pipelining), in order.
    public mutating func received(_ bytes: some Collection<UInt8>, now: UInt64, route: (RequestHead) -> Reply) -> [Action] {
        guard case .awaitingRequest = state else { return [] }
        input.append(contentsOf: bytes)
        var actions: [Action] = []
        while case .awaitingRequest = state, !input.isEmpty {
            let result = input.withUnsafeBytes { parser.parse($0) }
            switch result {
            case .incomplete:
                return actions
            case .invalid(let error):
                state = .closing(deadline: now + headTimeoutNanos)
                input = []
                actions.append(.send(Response.error(error.status, message(error))))
                actions.append(.closeAfterFlush)
            case .complete(let head, let consumed):
                input.removeFirst(consumed)
                parser.reset()
                switch route(head) {
                case .respond(let bytes, let keepAlive):
                    actions.append(.send(bytes))
                    if keepAlive {
                        state = .awaitingRequest(deadline: now + headTimeoutNanos)
                    } else {
                        state = .closing(deadline: now + headTimeoutNanos)
                        input = []
                        actions.append(.closeAfterFlush)
                    }
                case .subscribe(let subscription):
                    state = .streaming(Stream(chunked: subscription.chunked, replayNext: nil, units: subscription.units))
                    input = []
                    actions.append(.subscribe(subscription))
                }
            }
        }
        return actions
    }

    /// Input that arrived when no request is read any more (a subscriber's, or after a final
    /// response): dropped, but a lingering connection stops draining past its byte limit.
    public mutating func discarded(_ count: Int) -> [Action] {
        guard case .lingering(let deadline, let discarded) = state else { return [] }
        if discarded + count > Self.lingerByteLimit { return [.close] }
        state = .lingering(deadline: deadline, discarded: discarded + count)
        return []
    }

    /// Refused before any request was read (over the connection limit): send `response`, then
    /// linger like any other final response.
    public mutating func refuse(_ response: [UInt8], now: UInt64) -> [Action] {
        state = .closing(deadline: now + headTimeoutNanos)
        input = []
        return [.send(response), .closeAfterFlush]
    }

    /// The final response has left: half-close and linger.
    public mutating func flushed(now: UInt64) -> [Action] {
        guard case .closing = state else { return [] }
        state = .lingering(deadline: now + Self.lingerNanos, discarded: 0)
        return [.shutdownWrite]
    }

    /// The peer closed its side.
    public mutating func peerClosed() -> [Action] {
        state = .closing(deadline: 0)
        input = []
        return [.close]
    }

    /// The clock moved on: a head that has not arrived by its deadline is cut off (408 if the
    /// client had started one, silently if the connection was idle), a final response the
    /// client has not taken by its deadline is abandoned, and lingering ends.
    public mutating func tick(now: UInt64) -> [Action] {
        switch state {
        case .awaitingRequest(let deadline) where now >= deadline:
            state = .closing(deadline: now + headTimeoutNanos)
            defer { input = [] }
            if input.isEmpty { return [.close] }
            return [.send(Response.error(.requestTimeout, "request head not received in time")), .closeAfterFlush]
        case .closing(let deadline) where now >= deadline, .lingering(let deadline, _) where now >= deadline:
            return [.close]
        default:
            return []
        }
    }

    private func message(_ error: RequestError) -> String {
        switch error {
        case .badRequest(let why): return why
        case .uriTooLong: return "request line longer than \(parser.limits.maxHeadBytes) bytes"
        case .headersTooLarge: return "request head over \(parser.limits.maxHeadBytes) bytes or \(parser.limits.maxHeaderCount) fields"
        case .contentTooLarge: return "request bodies are not accepted"
        case .versionNotSupported: return "only HTTP/1.0 and HTTP/1.1 are supported"
        }
    }
}
