import HTTP

/// The stream phase: the greeting, catching up from history within the queue bound, going
/// live, and the clean end.
extension ConnectionMachine {
    /// What the catch-up asks the driver to do next.
    public enum ReplayStep: Equatable {
        /// Write these bytes, then ask again.
        case send(StreamBytes)
        /// The queue is at the watermark: ask again once the socket has taken some.
        case wait
        /// Caught up: the subscriber is live from now on (send it the current error events).
        case caughtUp
        /// Not replaying (live already, or not a subscriber).
        case idle
    }

    public var stream: Stream? {
        if case .streaming(let s) = state { return s }
        return nil
    }

    /// Live: events are written to it as they happen (not while it replays).
    public var isLive: Bool {
        if case .streaming(let s) = state { return s.replayNext == nil }
        return false
    }

    /// HTTP/1.1 chunked framing (false: HTTP/1.0, close-delimited).
    public var chunked: Bool { stream?.chunked ?? true }

    /// The stream's first bytes: the response head and `retry:`, with a comment when the
    /// events after its `lastEventID` are no longer held. Replay then starts where `History.startID`
    /// says (the events missed, or the `replay` latest).
    public mutating func startStream(_ subscription: Subscription, history: History) -> [UInt8] {
        guard case .streaming(var s) = state else { return [] }
        let (start, gap) = history.startID(lastEventID: subscription.lastEventID, replay: subscription.replay)
        var greeting = SSE.retry(milliseconds: 2000)
        if gap { greeting += Self.resumingComment(after: subscription.lastEventID ?? 0, held: history.count) }
        s.replayNext = start
        state = .streaming(s)
        return Response.eventStreamHead(chunked: s.chunked, headers: subscription.headers.map { ($0.name, $0.value) })
            + StreamBytes(greeting).bytes(chunked: s.chunked)
    }

    /// Tells a subscriber that events after `id` are no longer held (its Last-Event-ID is too
    /// old, or the ring wrapped past it while it caught up).
    static func resumingComment(after id: UInt64, held: Int) -> [UInt8] {
        SSE.comment("resuming after \(id): older events are gone; replaying the \(held) held")
    }

    /// The next step of the catch-up. Frames go out while the queue plus the frame stays within
    /// the watermark (an empty queue always takes one); if the ring wrapped past this client
    /// while it was slow, it is told so and goes on from the oldest event held.
    public mutating func nextReplay(_ history: History) -> ReplayStep {
        guard case .streaming(var s) = state, let next = s.replayNext else { return .idle }
        guard let frame = history.frame(id: next, units: s.units) else {
            if history.newestID != nil, next < history.oldestID {
                s.replayNext = history.oldestID
                state = .streaming(s)
                return .send(StreamBytes(Self.resumingComment(after: next - 1, held: history.count)))
            }
            s.replayNext = nil
            state = .streaming(s)
            return .caughtUp
        }
        let size = frame.bytes(chunked: s.chunked).count
        if !output.isEmpty && output.count + size > replayWatermark { return .wait }
        s.replayNext = next + 1
        state = .streaming(s)
        return .send(frame)
    }

    /// On shutdown: a subscriber that has taken everything gets a clean end (a comment, and for
    /// a chunked stream the last chunk); one with output still queued is simply closed (nil).
    public func goodbye(_ comment: StreamBytes) -> [UInt8]? {
        guard let s = stream, output.isEmpty else { return nil }
        return comment.bytes(chunked: s.chunked) + (s.chunked ? Chunked.last : [])
    }

    /// Closing: the final response is queued, and once it has left, `flushed(now:)`.
    public var closesAfterFlush: Bool {
        if case .closing = state { return true }
        return false
    }
}
