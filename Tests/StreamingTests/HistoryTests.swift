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
