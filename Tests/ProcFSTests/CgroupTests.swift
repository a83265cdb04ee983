import Testing
@testable import ProcParsers

/// The cgroup parsers and systemd's cgroup name escaping, table by table. The fixture trees and
/// the discovery over them are in CgroupTreeTests.swift.

func parseError<T>(_ text: String, _ body: (UnsafeRawBufferPointer) throws(ParseError) -> T) -> ParseError? {
    do {
        _ = try parse(text, body)
        return nil
    } catch {
        return error
    }
}

@Suite struct CgroupValueTests {
    @Test(arguments: [("38158336\n", 38158336), ("0\n", 0), ("7", 7), ("18446744073709551615\n", UInt64.max)] as [(String, UInt64)])
    func parses(_ text: String, _ value: UInt64) throws {
        #expect(try parse(text) { (b) throws(ParseError) in try Parse.cgroupValue(b, file: "memory.current") } == value)
    }

    /// `max` is a limit file's value (memory.max, pids.max), never a counter's.
    @Test(arguments: ["", "\n", "max\n", "-1\n", "12 13\n", "12\n13\n", "1x\n", "18446744073709551616\n", "\u{0}"])
    func rejects(_ text: String) {
        #expect(parseError(text) { (b) throws(ParseError) in try Parse.cgroupValue(b, file: "pids.current") } != nil)
    }

    @Test func errorsNameFileAndLine() {
        let empty = parseError("") { (b) throws(ParseError) in try Parse.cgroupValue(b, file: "memory.current") }
        #expect(empty?.file == "memory.current" && empty?.line == 1)
        #expect(empty?.description.contains("empty") == true)
        let second = parseError("5\n6\n") { (b) throws(ParseError) in try Parse.cgroupValue(b, file: "pids.current") }
        #expect(second?.file == "pids.current" && second?.line == 2)
    }

    @Test func cpuacctUsageIsNanoseconds() throws {
        #expect(try parse("48211907334\n") { (b) throws(ParseError) in try Parse.cpuacctUsageMicroseconds(b) } == 48_211_907)
        #expect(parseError("") { (b) throws(ParseError) in try Parse.cpuacctUsageMicroseconds(b) }?.file == "cpuacct.usage")
    }
}

@Suite struct CgroupCPUStatTests {
    @Test func usageAmongOtherKeys() throws {
        let text = "usage_usec 48211907\nuser_usec 30199442\nsystem_usec 18012465\ncore_sched.force_idle_usec 0\nnr_periods 0\n"
        #expect(try parse(text) { (b) throws(ParseError) in try Parse.cgroupCPUUsage(b) } == 48_211_907)
        // Key order is not assumed, and a key that only starts with usage_usec is another key.
        let moved = "user_usec 1\nusage_usec_total 9\nnice_usec 0\nusage_usec 3\n"
        #expect(try parse(moved) { (b) throws(ParseError) in try Parse.cgroupCPUUsage(b) } == 3)
    }

    @Test(arguments: ["", "user_usec 5\n", "usage_usec\n", "usage_usec x\n", "usage_usec 5 6\n", "usage_usec 99999999999999999999\n",
                      "usage_usec -1\n", "usage_usec max\n"])
    func rejects(_ text: String) {
        #expect(parseError(text) { (b) throws(ParseError) in try Parse.cgroupCPUUsage(b) } != nil)
    }

    @Test func errorsNameFileAndLine() {
        let bad = parseError("user_usec 1\nusage_usec 1x\n") { (b) throws(ParseError) in try Parse.cgroupCPUUsage(b, file: "a/cpu.stat") }
        #expect(bad?.file == "a/cpu.stat" && bad?.line == 2)
        let missing = parseError("user_usec 1\nsystem_usec 2\n") { (b) throws(ParseError) in try Parse.cgroupCPUUsage(b) }
        #expect(missing?.file == "cpu.stat" && missing?.message == "no usage_usec line")
    }
}

@Suite struct CgroupMemoryStatTests {
    @Test func anon() throws {
        let text = "anon_thp 2097152\nanon 14680064\nfile 22151168\ninactive_anon 3670016\n"
        #expect(try parse(text) { (b) throws(ParseError) in try Parse.cgroupMemoryAnon(b) } == 14_680_064)
    }

    @Test(arguments: ["", "file 1\n", "anon_thp 5\n", "anon \n", "anon 5kB\n", "anon 99999999999999999999\n"])
    func anonRejects(_ text: String) {
        #expect(parseError(text) { (b) throws(ParseError) in try Parse.cgroupMemoryAnon(b) } != nil)
    }

    @Test func v1OwnAndHierarchical() throws {
        let text = "cache 0\nrss 0\nrss_huge 0\nhierarchical_memory_limit 9223372036854771712\ntotal_cache 289996800\ntotal_rss 81997824\ntotal_rss_huge 0\n"
        let m = try parse(text) { (b) throws(ParseError) in try Parse.cgroupV1MemoryStat(b) }
        #expect(m == CgroupV1MemoryStat(rssBytes: 0, totalRSSBytes: 81_997_824))
        let old = try parse("cache 4096\nrss 8192\n") { (b) throws(ParseError) in try Parse.cgroupV1MemoryStat(b) }
        #expect(old == CgroupV1MemoryStat(rssBytes: 8192, totalRSSBytes: nil))
    }

    @Test(arguments: ["", "cache 1\n", "rss_huge 1\ntotal_rss 5\n", "rss x\n", "rss 1\ntotal_rss 1 2\n", "rss 99999999999999999999\n"])
    func v1Rejects(_ text: String) {
        #expect(parseError(text) { (b) throws(ParseError) in try Parse.cgroupV1MemoryStat(b) } != nil)
    }

    @Test func errorsNameFileAndLine() {
        let bad = parseError("cache 1\nrss 1\nrss_huge 0\ntotal_rss q\n") { (b) throws(ParseError) in try Parse.cgroupV1MemoryStat(b, file: "memory/x/memory.stat") }
        #expect(bad?.file == "memory/x/memory.stat" && bad?.line == 4)
        let v2 = parseError("file 1\nanon 1 1\n") { (b) throws(ParseError) in try Parse.cgroupMemoryAnon(b) }
        #expect(v2?.file == "memory.stat" && v2?.line == 2)
    }
}

@Suite struct CgroupIOStatTests {
    @Test func sumsDevices() throws {
        let text = "259:0 rbytes=734003200 wbytes=1887436800 rios=44011 wios=201338 dbytes=0 dios=0\n"
            + "254:0 wbytes=5 rbytes=7 rios=1 wios=1 dbytes=0 dios=0 cost.vrate=100.00 use_delay=0\n"
            + "\n"
        let io = try parse(text) { (b) throws(ParseError) in try Parse.cgroupIOStat(b) }
        #expect(io == CgroupIO(readBytes: 734_003_207, writeBytes: 1_887_436_805))
    }

    @Test func emptyIsZeroDevices() throws {
        #expect(try parse("") { (b) throws(ParseError) in try Parse.cgroupIOStat(b) } == CgroupIO(readBytes: 0, writeBytes: 0))
        #expect(try parse("8:0 rios=3\n") { (b) throws(ParseError) in try Parse.cgroupIOStat(b) } == CgroupIO(readBytes: 0, writeBytes: 0))
    }

    @Test(arguments: ["rbytes=1\n", "8 rbytes=1\n", "8:x rbytes=1\n", "8:0rbytes=1\n", "8:0 rbytes=\n", "8:0 rbytes=1x\n",
                      "8:0 wbytes=99999999999999999999\n",
                      "8:0 rbytes=18446744073709551615\n8:1 rbytes=1\n"])   // the sum overflows
    func rejects(_ text: String) {
        #expect(parseError(text) { (b) throws(ParseError) in try Parse.cgroupIOStat(b) } != nil)
    }

    @Test func errorsNameFileAndLine() {
        let bad = parseError("8:0 rbytes=1\n8:16 rbytes=2 wbytes=x\n") { (b) throws(ParseError) in try Parse.cgroupIOStat(b) }
        #expect(bad?.file == "io.stat" && bad?.line == 2)
        #expect(bad?.message.hasPrefix("bad wbytes value") == true)
    }
}

@Suite struct BlkioServiceBytesTests {
    let postgres = "8:0 Read 734003200\n8:0 Write 1887436800\n8:0 Sync 1205862400\n8:0 Async 1415577600\n8:0 Discard 0\n8:0 Total 2621440000\n"
        + "8:16 Read 0\n8:16 Write 4096\n8:16 Sync 1024\n8:16 Async 3072\n8:16 Discard 0\n8:16 Total 4096\nTotal 2621444096\n"

    @Test func sumsReadAndWrite() throws {
        let io = try parse(postgres) { (b) throws(ParseError) in try Parse.blkioServiceBytes(b) }
        #expect(io == CgroupIO(readBytes: 734_003_200, writeBytes: 1_887_440_896))
    }

    @Test func noDevices() throws {
        #expect(try parse("Total 0\n") { (b) throws(ParseError) in try Parse.blkioServiceBytes(b) } == CgroupIO(readBytes: 0, writeBytes: 0))
    }

    @Test(arguments: ["", "\n", "8:0 Read 5\n8:0 Write 1\n",        // empty, or truncated before the final Total
                      "8:0 Read\nTotal 0\n", "8:0 Read x\nTotal 0\n", "Read 5\nTotal 0\n", "8:0 Read 5 6\nTotal 0\n",
                      "Total\n", "Total x\n", "8:0 Read 99999999999999999999\nTotal 0\n",
                      "8:0 Read 18446744073709551615\n8:16 Read 1\nTotal 0\n"])
    func rejects(_ text: String) {
        #expect(parseError(text) { (b) throws(ParseError) in try Parse.blkioServiceBytes(b) } != nil)
    }

    @Test func errorsNameFileAndLine() {
        let bad = parseError("8:0 Read 1\n8:0 Write 1\n8:0 Sync\n") { (b) throws(ParseError) in try Parse.blkioServiceBytes(b, file: "blkio/x/blkio.throttle.io_service_bytes") }
        #expect(bad?.file == "blkio/x/blkio.throttle.io_service_bytes" && bad?.line == 3)
        let truncated = parseError("8:0 Read 1\n") { (b) throws(ParseError) in try Parse.blkioServiceBytes(b) }
        #expect(truncated?.line == 2 && truncated?.message.contains("Total") == true)
    }
}

@Suite struct CgroupPressureTests {
    @Test func someLine() throws {
        let text = "some avg10=12.04 avg60=9.87 avg300=6.11 total=712334019\nfull avg10=10.50 avg60=8.01 avg300=5.22 total=650112000\n"
        let p = try parse(text) { (b) throws(ParseError) in try Parse.cgroupPressureSome(b, file: "io.pressure") }
        #expect(p == CgroupPressure(avg10: 12.04, totalMicroseconds: 712_334_019))
        // No full line (memory.pressure before 5.13 had it, cpu.pressure did not), keys moved, a new key.
        let q = try parse("some total=5 avg300=0.00 avg10=100.00 avg60=0.00 avg5=1.00\n") { (b) throws(ParseError) in try Parse.cgroupPressureSome(b) }
        #expect(q == CgroupPressure(avg10: 100, totalMicroseconds: 5))
    }

    /// Two decimals read as the literal they print, not a sum of digit weights off by an ulp.
    @Test(arguments: [("0.33", 0.33), ("12.04", 12.04), ("0.07", 0.07), ("99.99", 99.99), ("4", 4), ("1.5", 1.5)] as [(String, Double)])
    func avg10IsExact(_ text: String, _ value: Double) throws {
        let p = try parse("some avg10=\(text) avg60=0.00 avg300=0.00 total=1\n") { (b) throws(ParseError) in try Parse.cgroupPressureSome(b) }
        #expect(p.avg10 == value)
    }

    @Test(arguments: ["", "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", "some avg60=0.00 total=1\n", "some avg10=0.00\n",
                      "some avg10=x total=1\n", "some avg10=1. total=1\n", "some avg10=0.00 total=-1\n", "some avg10=0.00 total=1q\n",
                      "some avg10=0.00 total=99999999999999999999\n", "somE avg10=0.00 total=1\n"])
    func rejects(_ text: String) {
        #expect(parseError(text) { (b) throws(ParseError) in try Parse.cgroupPressureSome(b) } != nil)
    }

    /// Lines exactly as the kernel prints them take a shortcut; every line reads the same as
    /// through /proc/pressure's parser.
    @Test(arguments: [("some avg10=12.04 avg60=9.87 avg300=6.11 total=712334019\n", true),
                      ("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", true),
                      ("some avg10=100.00 avg60=100.00 avg300=100.00 total=18446744073709551615\n", true),
                      ("some avg10=1.5 avg60=2 avg300=3.25 total=4 \n", false),
                      ("some  avg10=1.00 avg60=0.00 avg300=0.00 total=1\n", false),
                      ("some avg60=0.00 avg10=7.00 avg300=0.00 total=1\n", false)] as [(String, Bool)])
    func kernelLinesReadAsTheGeneralParserReadsThem(_ text: String, _ shortcut: Bool) throws {
        let fast = try parse(text) { (b) throws(ParseError) in try Parse.cgroupPressureSome(b) }
        let general = try parse(text) { (b) throws(ParseError) in try Parse.pressure(b) }
        #expect(fast == CgroupPressure(avg10: general.some.avg10, totalMicroseconds: general.some.totalMicros))
        let took = text.utf8.withContiguousStorageIfAvailable { p -> Bool in
            var s = Scanner(UnsafeRawBufferPointer(p))
            return s.kernelSomeLine() != nil
        }
        #expect(took == shortcut)
    }

    /// The `some` line first (as the kernel prints it) is parsed alone: the `full` line is not
    /// read, but a second `some` line and a cut-off first line are still errors.
    @Test func someFirstThenTheRestUnparsed() throws {
        let p = try parse("some avg10=1.50 avg60=0.00 avg300=0.00 total=9\nfull whatever\n") { (b) throws(ParseError) in try Parse.cgroupPressureSome(b) }
        #expect(p == CgroupPressure(avg10: 1.5, totalMicroseconds: 9))
        let twice = parseError("some avg10=0.00 avg60=0.00 avg300=0.00 total=1\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\nsome avg10=0.00 avg60=0.00 avg300=0.00 total=2\n") { (b) throws(ParseError) in
            try Parse.cgroupPressureSome(b, file: "cpu.pressure")
        }
        #expect(twice?.line == 3 && twice?.message.contains("second") == true)
        #expect(parseError("some avg10=0.00 avg60=0.00 avg300=0.00 total=1") { (b) throws(ParseError) in try Parse.cgroupPressureSome(b) } != nil)
        #expect(parseError("some avg10=0.00 avg300=0.00 total=1\n") { (b) throws(ParseError) in try Parse.cgroupPressureSome(b) } != nil)
    }

    @Test func errorsNameFileAndLine() {
        let bad = parseError("\nsome avg10=0.4O avg60=0.00 avg300=0.00 total=1\n") { (b) throws(ParseError) in try Parse.cgroupPressureSome(b, file: "memory.pressure") }
        #expect(bad?.file == "memory.pressure" && bad?.line == 2)
        let none = parseError("full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n") { (b) throws(ParseError) in try Parse.cgroupPressureSome(b) }
        #expect(none?.file == "cpu.pressure" && none?.line == 2 && none?.message == "no \"some\" line")
    }
}

@Suite struct CgroupNameTests {
    /// A directory is a unit only if it is a service or a scope, named as systemd names units.
    @Test(arguments: [
        ("nginx.service", "nginx.service"), ("_cpu.service", "cpu.service"), ("_io.scope", "io.scope"),
        ("__foo.service", "_foo.service"), ("getty@tty1.service", "getty@tty1.service"), ("session-2.scope", "session-2.scope"),
        ("machine-qemu\\x2d1\\x2ddebian12.scope", "machine-qemu\\x2d1\\x2ddebian12.scope"), ("a:b.service", "a:b.service"),
        ("_cgroup.x.service", "cgroup.x.service"), ("init.scope", "init.scope"),
    ] as [(String, String)])
    func units(_ directory: String, _ unit: String) {
        #expect(CgroupUnits.unitName(fromDirectory: directory) == unit)
    }

    @Test(arguments: ["system.slice", "user-1000.slice", "dev-mqueue.mount", "dev-disk-by\\x2duuid-5a3f.swap", "ssh.socket",
                      "libvirt", "emulator", "docker", ".service", "_.service", "@x.service", "foo@.service", "foo bar.service",
                      "foo.services", "cgroup.procs", "memory.stat", "tasks", "nginx.service\n", "ünï.service",
                      "x.service\u{301}", "\u{600}.service", "x.scopé", "x.", ".", "x.servic", "service", "x.swap.service.",
                      String(repeating: "a", count: 248) + ".service"])   // 256 bytes: one over systemd's UNIT_NAME_MAX
    func notUnits(_ directory: String) {
        #expect(CgroupUnits.unitName(fromDirectory: directory) == nil)
    }

    @Test func slices() {
        #expect(CgroupUnits.sliceName(fromDirectory: "system-systemd\\x2dfsck.slice") == "system-systemd\\x2dfsck.slice")
        #expect(CgroupUnits.sliceName(fromDirectory: "_cpu.slice") == "cpu.slice")
        #expect(CgroupUnits.sliceName(fromDirectory: "nginx.service") == nil)
    }

    /// cg_unescape drops exactly one leading underscore, nothing else.
    @Test func unescape() {
        #expect(CgroupUnits.unescape("_cpu.service") == "cpu.service")
        #expect(CgroupUnits.unescape("__x") == "_x")
        #expect(CgroupUnits.unescape("a_b") == "a_b")
        #expect(CgroupUnits.unescape("_") == "")
        #expect(CgroupUnits.unescape("") == "")
    }

    /// Which names systemd's cg_escape prefixes (and so which directories start with `_`).
    @Test(arguments: [
        ("cpu.service", "_cpu.service"), ("cpuset.service", "_cpuset.service"), ("io.scope", "_io.scope"),
        ("memory.x.service", "_memory.x.service"), ("pids.slice", "_pids.slice"), ("blkio.service", "_blkio.service"),
        ("cpuacct.service", "_cpuacct.service"), ("devices.service", "_devices.service"),
        ("bpf-firewall.service", "_bpf-firewall.service"), ("cgroup.service", "_cgroup.service"),
        ("_foo.service", "__foo.service"), (".hidden", "_.hidden"), ("tasks", "_tasks"), ("release_agent", "_release_agent"),
        ("notify_on_release", "_notify_on_release"), ("", "_"),
        ("cpufreq.service", "cpufreq.service"), ("iostat.service", "iostat.service"), ("memoryd.service", "memoryd.service"),
        ("nginx.service", "nginx.service"), ("tasks.service", "tasks.service"), ("cpu", "cpu"), ("cgroup", "cgroup"),
    ] as [(String, String)])
    func escape(_ name: String, _ escaped: String) {
        #expect(CgroupUnits.escape(name) == escaped)
        #expect(CgroupUnits.needsEscape(name) == (name != escaped))
        #expect(CgroupUnits.unescape(escaped) == name)
    }

    @Test func unescapableNames() {
        #expect(CgroupUnits.escape("a/b.service") == nil)
        #expect(CgroupUnits.escape(".") == "_.")
        #expect(CgroupUnits.escape(String(repeating: "x", count: 255)) == String(repeating: "x", count: 255))
        #expect(CgroupUnits.escape("_" + String(repeating: "x", count: 254)) == nil)   // 256 bytes once prefixed
    }
}
