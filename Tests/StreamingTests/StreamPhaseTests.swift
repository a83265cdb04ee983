import HTTP
import Testing
@testable import Streaming

/// A socket stand-in: takes up to `room` bytes per write, like a non-blocking send.
struct FakeSocket {
    var room: Int
    var received: [UInt8] = []
    mutating func take(_ bytes: some Collection<UInt8>) -> Int {
        let n = min(room, bytes.count)
        received.append(contentsOf: bytes.prefix(n))
        room -= n
        return n
    }
}

/// What `Connections` does with a machine, minus the syscalls: write (direct, or gathered
/// behind the queue), drain, and pump the replay. False: the client is over its bound (dropped).
struct FakeDriver {
    var machine: ConnectionMachine
    var socket = FakeSocket(room: 0)

    mutating func write(_ bytes: [UInt8]) -> Bool {
        if !machine.output.isEmpty {
            return machine.output.send(appending: bytes) { a, b in
                let n = socket.take(a)
                return n < a.count ? n : n + socket.take(b)
            }
        }
        let n = socket.take(bytes)
        return n == bytes.count || machine.output.append(bytes[n...])
    }

    mutating func drain() { machine.output.drain { socket.take($0) } }

    /// Feeds the replay until it waits or is done; a write over the bound fails the test.
    mutating func pump(_ history: History, errors: StreamBytes = .empty, sourceLocation: SourceLocation = #_sourceLocation) {
        while true {
            switch machine.nextReplay(history) {
            case .send(let b):
                if !write(b.bytes(chunked: machine.chunked)) { Issue.record("replay went over the bound", sourceLocation: sourceLocation); return }
            case .caughtUp:
                if !errors.isEmpty && !write(errors.bytes(chunked: machine.chunked)) { Issue.record("over the bound", sourceLocation: sourceLocation) }
                return
            case .wait, .idle:
                return
            }
        }
    }
}

func frame(_ id: UInt64, size: Int = 1000) -> StreamBytes {
    StreamBytes(SSE.event(id: String(id), event: "metrics", data: String(repeating: "x", count: size)))
}

func history(_ ids: ClosedRange<UInt64>, capacity: Int) -> History {
    var h = History(capacity: capacity)
    for id in ids { h.append(id: id, frame: frame(id)) }
    return h
}

/// A subscribed machine (the request already parsed), with the greeting written.
func subscriber(_ request: String = "GET /events HTTP/1.1\r\nHost: h\r\nAccept: text/event-stream\r\n\r\n",
                history h: History, limitKiB: Int = 16) -> FakeDriver {
    var d = FakeDriver(machine: ConnectionMachine(now: 0, outputLimit: limitKiB * 1024))
    let actions = d.machine.received(Array(request.utf8), now: 1) { Router.route($0, context) }
    guard case .subscribe(let subscription)? = actions.first else { Issue.record("not subscribed: \(actions)"); return d }
    _ = d.write(d.machine.startStream(subscription, history: h))
    return d
}

/// The SSE text a client decodes from what the fake socket received.
func decoded(_ d: FakeDriver) -> String {
    let raw = d.socket.received
    guard let end = raw.firstRange(of: Array("\r\n\r\n".utf8)) else { return "" }
    var body = raw[end.upperBound...]
    if !d.machine.chunked { return String(decoding: body, as: UTF8.self) }
    var out: [UInt8] = []
    while let lf = body.firstIndex(of: 0x0a), let size = Int(String(decoding: body[body.startIndex..<(lf - 1)], as: UTF8.self), radix: 16),
          size > 0, body.endIndex - lf - 1 >= size + 2 {
        out += body[(lf + 1)..<(lf + 1 + size)]
        body = body[(lf + 1 + size + 2)...]
    }
    return String(decoding: out, as: UTF8.self)
}

func ids(_ text: String) -> [UInt64] {
    text.split(separator: "\n").compactMap { $0.hasPrefix("id: ") ? UInt64($0.dropFirst(4)) : nil }
}

@Suite struct StreamPhaseTests {
    @Test func greetingThenTheWholeRingThenLive() {
        var d = subscriber(history: history(1...5, capacity: 10))
        d.socket.room = .max
        d.pump(history(1...5, capacity: 10))
        let head = String(decoding: d.socket.received.prefix(200), as: UTF8.self)
        #expect(head.hasPrefix("HTTP/1.1 200 OK\r\n") && head.contains("Transfer-Encoding: chunked\r\n"))
        #expect(decoded(d).hasPrefix("retry: 2000\n\n"))
        #expect(ids(decoded(d)) == [1, 2, 3, 4, 5])
        #expect(d.machine.isLive)
    }

    @Test func http10StreamsAreCloseDelimitedThroughout() {
        let h = history(1...3, capacity: 10)
        var d = subscriber("GET /events?history=2 HTTP/1.0\r\n\r\n", history: h)
        d.socket.room = .max
        d.pump(h)
        let all = String(decoding: d.socket.received, as: UTF8.self)
        #expect(all.contains("Connection: close\r\n") && !all.contains("chunked"))
        #expect(ids(decoded(d)) == [2, 3])
        #expect(d.machine.goodbye(StreamBytes(SSE.comment("bye"))) == Array(": bye\n\n".utf8))
    }

    /// Replay fills the queue to half the bound and waits; it never pushes the client over.
    @Test func replayStopsAtTheWatermarkAndResumesAsTheSocketDrains() {
        let h = history(1...100, capacity: 100)
        var d = subscriber(history: h, limitKiB: 16)
        d.pump(h)                                 // a stalled socket: nothing taken
        #expect(d.machine.output.count <= 8 * 1024)
        #expect(d.machine.output.count > 6 * 1024)
        #expect(!d.machine.isLive)
        var rounds = 0
        while !d.machine.isLive && rounds < 1000 {          // a slow reader: 3 KiB per round
            d.socket.room = 3 * 1024
            d.drain()
            d.pump(h)
            #expect(d.machine.output.count <= 8 * 1024)
            rounds += 1
        }
        d.socket.room = .max
        d.drain()
        #expect(ids(decoded(d)) == Array(1...100))
        #expect(rounds > 20)
    }

    /// The ring wraps past a client stalled mid-replay: it is told where events went missing,
    /// with the comment a new subscriber gets, then goes on from the oldest held.
    @Test func aHistoryWrapMidReplayIsAnnouncedWhereTheGapIs() {
        var h = history(1...20, capacity: 20)
        var d = subscriber(history: h, limitKiB: 16)
        d.pump(h)                                 // stalled after the first ~8 frames
        guard case .streaming(let s) = d.machine.state, let stalledAt = s.replayNext else { Issue.record(); return }
        for id in UInt64(21)...45 { h.append(id: id, frame: frame(id)) }   // oldest is now 26
        d.socket.room = .max
        d.drain()
        d.pump(h)
        let text = decoded(d)
        #expect(ids(text) == Array(1..<stalledAt) + Array(26...45))
        let comment = ": resuming after \(stalledAt - 1): older events are gone; replaying the 20 held\n\n"
        #expect(text.contains("\n\n" + comment + "id: 26\n"), "\(text.prefix(300))")
        #expect(d.machine.isLive)
    }

    @Test func aResumingClientGetsExactlyWhatItMissedThenTheCurrentErrors() {
        let h = history(10...20, capacity: 20)
        var d = subscriber("GET /events HTTP/1.1\r\nHost: h\r\nLast-Event-ID: 17\r\n\r\n", history: h)
        d.socket.room = .max
        let errors = StreamBytes(SSE.event(event: "error", data: "{}"))
        d.pump(h, errors: errors)
        #expect(ids(decoded(d)) == [18, 19, 20])
        #expect(decoded(d).hasSuffix("event: error\ndata: {}\n\n"))
        var old = subscriber("GET /events HTTP/1.1\r\nHost: h\r\nLast-Event-ID: 3\r\n\r\n", history: h)
        old.socket.room = .max
        old.pump(h)
        #expect(decoded(old).contains(": resuming after 3: older events are gone; replaying the 11 held"))
        #expect(ids(decoded(old)) == Array(10...20))
    }

    /// A live subscriber that stops reading is dropped once its queue would pass the bound,
    /// not before; one that keeps up never queues at all.
    @Test func aSlowClientIsDroppedPastTheBoundAndNotBefore() {
        let h = history(1...1, capacity: 10)
        var d = subscriber("GET /events HTTP/1.1\r\nHost: h\r\n\r\n", history: h, limitKiB: 16)
        d.socket.room = .max
        d.pump(h)
        #expect(d.machine.isLive && d.machine.output.isEmpty)
        d.socket.room = 0
        var accepted = 0
        while d.write(frame(UInt64(2 + accepted)).chunk) { accepted += 1 }
        #expect(accepted == 16 * 1024 / frame(2).chunk.count)
        #expect(d.machine.output.count <= 16 * 1024)
    }

    @Test func goodbyeIsTheLastChunkOnlyWhenNothingIsQueued() {
        let h = history(1...1, capacity: 10)
        var d = subscriber("GET /events HTTP/1.1\r\nHost: h\r\n\r\n", history: h)
        d.socket.room = .max
        d.pump(h)
        #expect(d.machine.goodbye(StreamBytes(SSE.comment("bye"))) == Array("7\r\n: bye\n\n\r\n0\r\n\r\n".utf8))
        d.socket.room = 0
        _ = d.write(frame(2).chunk)
        #expect(d.machine.goodbye(StreamBytes(SSE.comment("bye"))) == nil)   // truncated: simply closed
    }
}
