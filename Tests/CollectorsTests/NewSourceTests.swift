import Foundation
import ProcFS
import ProcParsers
import Testing
@testable import Collectors

/// Collectors driven directly with a chosen clock, against files rewritten between ticks, so
/// every figure is checked exactly.
func collect<C: Collector>(_ c: inout C, _ tree: ProcTree, at seconds: Double) -> Result<C.Value?, SourceError> {
    var context = CollectContext(proc: ProcReader(root: tree.path), nowNanos: UInt64(seconds * 1e9))
    return c.collect(&context)
}

func json<C: Collector>(_ c: C, _ value: C.Value) -> String {
    var w = JSONWriter()
    w.beginObject(); c.write(value, to: &w); w.endObject()
    return text(w.bytes)
}

let netDevHead = """
Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed

"""

func netDev(_ rows: [(String, UInt64, UInt64)]) -> String {
    netDevHead + rows.map { "  \($0.0): \($0.1) 10 0 0 0 0 0 0 \($0.2) 20 0 0 0 0 0 0\n" }.joined()
}

func diskstats(_ rows: [(String, UInt64, UInt64, UInt64, UInt64)]) -> String {
    rows.map { "   8       0 \($0.0) \($0.1) 0 \($0.2) 0 \($0.3) 0 \($0.4) 0 0 0 0 0 0 0 0 0 0\n" }.joined()
}

@Suite struct NetworkCollectorTests {
    @Test func bytesPerSecondWithoutLoopbackAndNoRateForNewOrBackwardsCounters() throws {
        let tree = try ProcTree(copying: "linux-6.18-x86_64")
        var c = NetworkCollector()
        try tree.write("net/dev", netDev([("lo", 5000, 5000), ("eth0", 1000, 100), ("eth1", 50, 50)]))
        let first = try #require(try collect(&c, tree, at: 10).get())
        #expect(first.interfaces.isEmpty && first.rx == 0)   // nothing to take a rate against yet
        // Half a second later: eth0 +1000 rx, +250 tx; eth1 went backwards; wlan0 appeared.
        try tree.write("net/dev", netDev([("lo", 9000, 9000), ("eth0", 2000, 350), ("eth1", 10, 50), ("wlan0", 7, 7)]))
        let v = try #require(try collect(&c, tree, at: 10.5).get())
        #expect(v.interfaces == [.init(name: "eth0", rx: 2000, tx: 500)])
        #expect(v.rx == 2000 && v.tx == 500)
        #expect(json(c, v) == #"{"network":{"rx":2000.0,"tx":500.0,"interfaces":{"eth0":{"rx":2000.0,"tx":500.0}}}}"#)
        // The next tick has rates for eth1 and wlan0 again; a vanished interface is just gone.
        try tree.write("net/dev", netDev([("eth1", 110, 60), ("wlan0", 17, 7)]))
        let w = try #require(try collect(&c, tree, at: 11.5).get())
        #expect(w.interfaces.map(\.name) == ["eth1", "wlan0"] && w.rx == 110 && w.tx == 10)
        #expect(w.counters.map(\.name) == ["eth1", "wlan0"])
    }

    @Test func noTimePassedGivesNoRates() throws {
        let tree = try ProcTree(copying: "linux-6.18-x86_64")
        var c = NetworkCollector()
        _ = collect(&c, tree, at: 3)
        #expect(try collect(&c, tree, at: 3).get()?.interfaces.isEmpty == true)
    }
}

@Suite struct DiskCollectorTests {
    @Test func wholeDisksOnlyWithBytesAndOperationsPerSecond() throws {
        let tree = try ProcTree(copying: "linux-6.18-x86_64")
        var c = DiskCollector()
        try tree.write("diskstats", diskstats([("vda", 10, 100, 20, 200), ("vda1", 10, 100, 20, 200), ("loop0", 1, 1, 1, 1), ("zram0", 1, 1, 1, 1)]))
        _ = collect(&c, tree, at: 1)
        // One second: vda read 8 sectors in 2 reads, wrote 80 sectors in 10 writes.
        try tree.write("diskstats", diskstats([("vda", 12, 108, 30, 280), ("vda1", 99, 999, 99, 999), ("loop0", 9, 9, 9, 9), ("zram0", 9, 9, 9, 9)]))
        let v = try #require(try collect(&c, tree, at: 2).get())
        #expect(v.devices == [.init(name: "vda", read: 4096, write: 40960, reads: 2, writes: 10)])
        #expect(v.read == 4096 && v.write == 40960)
        #expect(v.counters.map(\.name) == ["vda"])
        #expect(json(c, v) == #"{"disk":{"read":4096.0,"write":40960.0,"devices":{"vda":{"read":4096.0,"write":40960.0,"reads":2.0,"writes":10.0}}}}"#)
    }

    @Test func theFixtureTreesKeepTheirWholeDisks() throws {
        var c = DiskCollector()
        var context = CollectContext(proc: ProcReader(root: fixture("linux-4.19-armv7-noipv6")), nowNanos: 1)
        let v = try #require(try c.collect(&context).get())
        #expect(v.counters.map(\.name) == ["mmcblk0", "mmcblk0p1", "mmcblk0p2"])   // node_exporter keeps mmcblk partitions too
    }
}

@Suite struct PressureCollectorTests {
    @Test func avg10OfEachResource() throws {
        var c = PressureCollector()
        var context = CollectContext(proc: ProcReader(root: fixture("linux-6.18-x86_64")), nowNanos: 1)
        let v = try #require(try c.collect(&context).get())
        #expect(v.cpu.some.avg10 == 0.45)
        #expect(json(c, v).hasPrefix(#"{"pressure":{"cpu":{"some":0.45,"full":0.00},"memory":{"some":"#))
    }

    @Test func aKernelWithoutPSIIsAbsentNotFailing() throws {
        var c = PressureCollector()
        var context = CollectContext(proc: ProcReader(root: fixture("linux-4.19-armv7-noipv6")), nowNanos: 1)
        let r = c.collect(&context)
        #expect(try r.get() == nil)
        var registry = Registry.standard(procRoot: fixture("linux-4.19-armv7-noipv6"))
        registry.prime()
        let s = registry.snapshot(Identity(host: "h", version: "v", intervalSeconds: 1), clients: 0)
        #expect(s.errors.isEmpty)
        #expect(text(s.json).contains(#""pressure":null,"#))
    }

    @Test func cpuWithoutAFullLineBefore513() throws {
        let tree = try ProcTree(copying: "linux-6.18-x86_64")
        try tree.write("pressure/cpu", "some avg10=1.44 avg60=0.50 avg300=0.10 total=123456789\n")
        var c = PressureCollector()
        let v = try #require(try collect(&c, tree, at: 1).get())
        #expect(v.cpu.full == nil)
        #expect(json(c, v).hasPrefix(#"{"pressure":{"cpu":{"some":1.44,"full":null},"#))
        try tree.write("pressure/io", "garbage\n")
        guard case .failure(let e) = collect(&c, tree, at: 2) else { Issue.record("a bad file is an error"); return }
        #expect(e.source == "pressure/io")
    }
}

@Suite struct FirstEventRatesTests {
    /// Like cpu, the first snapshot has real rates: prime takes the baseline.
    @Test func primeTakesTheBaselineForEveryRate() throws {
        let tree = try ProcTree(copying: "linux-6.18-x86_64")
        try tree.write("net/dev", netDev([("eth0", 1000, 100)]))
        var registry = Registry.standard(procRoot: tree.path)
        registry.prime()
        try tree.write("net/dev", netDev([("eth0", 2000000, 100)]))
        let s = registry.snapshot(Identity(host: "h", version: "v", intervalSeconds: 1), clients: 0)
        let o = try decode(s.json)
        let eth0 = ((o["network"] as? [String: Any])?["interfaces"] as? [String: Any])?["eth0"] as? [String: Double]
        #expect((eth0?["rx"] ?? 0) > 0, "\(text(s.json))")
        #expect(o["cpu"] is Double)
    }
}
