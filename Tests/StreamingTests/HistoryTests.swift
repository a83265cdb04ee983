import HTTP
import Testing
@testable import Streaming

@Suite struct HistoryTests {
    func filled(_ capacity: Int, ids: ClosedRange<UInt64>) -> History {
        var h = History(capacity: capacity)
        for id in ids { h.append(id: id, frame: StreamBytes(Array("e\(id)".utf8))) }
        return h
    }

    @Test func ringKeepsTheNewest() {
        let h = filled(3, ids: 10...14)
        #expect(h.count == 3)
        #expect(h.oldestID == 12 && h.newestID == 14)
        #expect(h.frame(id: 11) == nil)
        #expect(h.frame(id: 12)?.plain == Array("e12".utf8))
        #expect(h.frame(id: 12)?.chunk == Array("3\r\ne12\r\n".utf8))
        #expect(h.frame(id: 14)?.plain == Array("e14".utf8))
        #expect(h.frame(id: 15) == nil)
        #expect(h.byteCount == 9 + 3 * 8)   // plain and chunked
    }

    @Test func resumeAfterAnIdInTheRingSendsExactlyWhatWasMissed() {
        let h = filled(5, ids: 100...104)
        #expect(h.startID(lastEventID: 101, replay: 1) == (102, false))
        #expect(h.startID(lastEventID: 104, replay: 1) == (105, false))   // up to date: nothing
        #expect(h.startID(lastEventID: 99, replay: 1) == (100, false))    // the one just before the ring
    }

    @Test func resumeFromTooOldOrUnknownReplaysAllAndFlagsTheGap() {
        let h = filled(5, ids: 100...104)
        #expect(h.startID(lastEventID: 50, replay: 1) == (100, true))     // older than the ring / a previous run
        #expect(h.startID(lastEventID: 999, replay: 1) == (100, true))    // newer than anything sent
    }

    @Test func freshSubscribersGetTheRequestedTailAndAlwaysTheLatest() {
        let h = filled(5, ids: 100...104)
        #expect(h.startID(lastEventID: nil, replay: 0) == (104, false))
        #expect(h.startID(lastEventID: nil, replay: 1) == (104, false))
        #expect(h.startID(lastEventID: nil, replay: 3) == (102, false))
        #expect(h.startID(lastEventID: nil, replay: Int.max) == (100, false))
    }

    @Test func nonConsecutiveIdStartsOver() {
        var h = filled(5, ids: 1...3)
        h.append(id: 10, frame: StreamBytes([1]))
        #expect(h.count == 1 && h.oldestID == 10)
    }

    @Test func boundedByCapacity() {
        var h = History(capacity: 300)
        for id in UInt64(1)...100_000 { h.append(id: id, frame: StreamBytes([UInt8](repeating: 0, count: 600))) }
        #expect(h.count == 300)
        #expect(h.byteCount == 300 * (600 + 607))   // plain, and "258\r\n" + 600 + "\r\n"
    }
}

@Suite struct HistoryByteBoundTests {
    /// Ticks with a per-unit view are larger: the ring also keeps within its byte bound, the
    /// oldest ticks going first, the newest always kept.
    @Test func theOldestGoPastTheByteLimit() {
        var h = History(capacity: 100, byteLimit: 10_000)
        for id in UInt64(1)...50 { h.append(id: id, frame: StreamBytes([UInt8](repeating: 0, count: 1000))) }
        #expect(h.byteCount <= 10_000)
        #expect(h.newestID == 50 && h.count == 10_000 / (1000 + 1007))
        #expect(h.frame(id: 50) != nil && h.frame(id: h.oldestID - 1) == nil)
        var big = History(capacity: 10, byteLimit: 100)
        big.append(id: 1, frame: StreamBytes([UInt8](repeating: 0, count: 1000)))
        #expect(big.count == 1)   // one tick over the limit is still held
    }

    @Test func unitsFramesAreReplayedForTheSelectionAsked() {
        var h = History(capacity: 10)
        let units = UnitsFrame(id: 7, timestamp: "T", units: [.init(name: "a.service", json: Array(#"{"unit":"a.service"}"#.utf8)),
                                                             .init(name: "b.service", json: Array(#"{"unit":"b.service"}"#.utf8))],
                               collectMicros: 42)
        h.append(id: 7, frame: StreamBytes(Array("M\n\n".utf8)), units: units)
        #expect(text(h.frame(id: 7, units: nil)!.plain) == "M\n\n")
        #expect(text(h.frame(id: 7, units: .only(["b.service"]))!.plain) ==
                "M\n\nid: 7\nevent: units\ndata: {\"timestamp\":\"T\",\"units\":[{\"unit\":\"b.service\"}],\"collect_us\":42}\n\n")
        #expect(text(h.frame(id: 7, units: .all)!.plain).contains(#"[{"unit":"a.service"},{"unit":"b.service"}]"#))
    }
}

@Suite struct UnitSelectionTests {
    @Test func parsesAllSomeOrNone() throws {
        #expect(try UnitSelection.parse(nil) == nil)
        #expect(try UnitSelection.parse("0") == nil)
        #expect(try UnitSelection.parse("1") == .all)
        #expect(try UnitSelection.parse("nginx.service,a.scope,nginx.service") == .only(["a.scope", "nginx.service"]))
        #expect(try UnitSelection.parse("getty%40tty1.service") == .only(["getty@tty1.service"]))
        #expect(throws: UnitSelection.ParseError.self) { try UnitSelection.parse("a b.service") }
        #expect(throws: UnitSelection.ParseError.self) { try UnitSelection.parse(Substring((0..<65).map { "u\($0).service" }.joined(separator: ","))) }
    }
}
