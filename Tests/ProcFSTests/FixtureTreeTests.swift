import Posix
import Testing
@testable import ProcFS
@testable import ProcParsers

/// Captured /proc trees under Fixtures/, read through the same reader the daemon uses.
func fixture(_ name: String) -> String {
    let file = "\(#filePath)"
    let dir = file[..<file.lastIndex(of: "/")!]
    return "\(dir)/Fixtures/\(name)"
}

/// Parses one file of a fixture tree with a pure parser, naming the file the way the daemon does.
func parseFixture<T>(_ tree: String, _ name: String,
                     _ body: (UnsafeRawBufferPointer, String) throws(ParseError) -> T) throws -> T {
    let buffer = ReadBuffer(capacity: 4096)
    try Files.read(path: fixture(tree) + "/" + name, into: buffer, limit: ProcReader.smallFileLimit)
    return try body(buffer.bytes, name)
}

/// Whether a fixture tree has `name` (a file or a directory).
func fixtureExists(_ tree: String, _ name: String) -> Bool {
    let buffer = ReadBuffer(capacity: 64)
    do { try Files.read(path: fixture(tree) + "/" + name, into: buffer, limit: 64) } catch {
        return error.code != 2   // ENOENT; a directory fails to read with EISDIR
    }
    return true
}

@Suite struct FixtureTreeTests {
    @Test func linux618() throws {
        var reader = ProcReader(root: fixture("linux-6.18-x86_64"))
        let stat = try reader.stat().get()
        #expect(stat.cores.count == 2)
        #expect(stat.total.user == 8449)
        let mem = try reader.meminfo().get()
        #expect(mem.totalBytes == 24_684_096 * 1024)
        #expect(mem.availableBytes == 24323016 * 1024)
        let load = try reader.loadavg().get()
        #expect(load.threads == 83)
        let tcp = try reader.tcpStates().get()
        #expect(tcp.established == 10)   // 6 over IPv4, 4 over IPv6
        #expect(tcp.counts[9] == 3)      // listen
        #expect(tcp.counts[5] == 12)     // time_wait
        #expect(try reader.uptime().get() == 645.54)
    }

    @Test func linux419WithoutIPv6() throws {
        var reader = ProcReader(root: fixture("linux-4.19-armv7-noipv6") + "/")
        let stat = try reader.stat().get()
        #expect(stat.cores.count == 4)
        #expect(try reader.meminfo().get().usedBytes == (948_056 - 712_428) * 1024)
        let load = try reader.loadavg().get()
        #expect(load.runnable == 2 && load.threads == 198)
        let tcp = try reader.tcpStates().get()   // no net/tcp6: absent, not an error
        #expect(tcp.established == 2)
        #expect(tcp.counts[9] == 2)
        #expect(tcp.counts[7] == 1)              // close_wait
    }

    @Test func missingFilesAreNamedErrors() {
        var reader = ProcReader(root: fixture("does-not-exist"))
        guard case .failure(let e) = reader.meminfo() else { Issue.record("expected failure"); return }
        #expect(e.source == "meminfo")
        #expect(e.message.contains("No such file"))
        guard case .failure(let t) = reader.tcpStates() else { Issue.record("expected failure"); return }
        #expect(t.source == "net/tcp")
    }

    static let tree618 = "linux-6.18-x86_64"
    static let tree419 = "linux-4.19-armv7-noipv6"

    @Test func linux618Pressure() throws {
        let cpu = try parseFixture(Self.tree618, "pressure/cpu") { (b, f) throws(ParseError) in try Parse.pressure(b, file: f) }
        #expect(cpu.some == PressureStall(avg10: 0.45, avg60: 3.13, avg300: 2.49, totalMicros: 35_859_504))
        #expect(cpu.full == PressureStall(avg10: 0, avg60: 0, avg300: 0, totalMicros: 0))   // 5.13+: a full line for cpu
        let io = try parseFixture(Self.tree618, "pressure/io") { (b, f) throws(ParseError) in try Parse.pressure(b, file: f) }
        #expect(io.some.totalMicros == 16_791_911 && io.some.avg300 == 1.63)
        #expect(io.full?.totalMicros == 16_534_888 && io.full?.avg60 == 0.61)
        let memory = try parseFixture(Self.tree618, "pressure/memory") { (b, f) throws(ParseError) in try Parse.pressure(b, file: f) }
        #expect(memory.some.totalMicros == 0 && memory.full?.totalMicros == 0)
    }

    @Test func linux618NetDevAndDiskstats() throws {
        let dev = try parseFixture(Self.tree618, "net/dev") { (b, f) throws(ParseError) in try Parse.netDev(b, file: f) }
        #expect(dev.map(\.name) == ["lo", "ifb0", "ifb1", "eth0"])
        #expect(dev[3] == NetDevCounters(name: "eth0", rxBytes: 199_983_059, rxPackets: 6584, txBytes: 481_907, txPackets: 4670))
        #expect(dev[0].rxBytes == 17_106_227 && dev[0].txPackets == 42307)
        let disks = try parseFixture(Self.tree618, "diskstats") { (b, f) throws(ParseError) in try Parse.diskstats(b, file: f) }
        #expect(disks.count == 10)   // loop0..loop7, vda, zram0; 20 fields a line (5.5+)
        #expect(disks[8] == DiskCounters(major: 254, minor: 0, name: "vda", readsCompleted: 62102, sectorsRead: 3_397_090,
                                         writesCompleted: 47580, sectorsWritten: 3_691_120))
        #expect(disks.filter { Parse.isWholeDisk($0.name) }.map(\.name) == ["vda"])
    }

    @Test func linux618SnmpAndSockstat() throws {
        #expect(try parseFixture(Self.tree618, "net/snmp") { (b, f) throws(ParseError) in try Parse.snmpTCP(b, file: f).currEstab } == 0)
        #expect(try parseFixture(Self.tree618, "net/sockstat") { (b, f) throws(ParseError) in try Parse.sockstatTCP(b, file: f).timeWait } == 0)
    }

    @Test func linux419NetDevAndDiskstats() throws {
        let dev = try parseFixture(Self.tree419, "net/dev") { (b, f) throws(ParseError) in try Parse.netDev(b, file: f) }
        #expect(dev == [
            NetDevCounters(name: "lo", rxBytes: 982_344, rxPackets: 8417, txBytes: 982_344, txPackets: 8417),
            NetDevCounters(name: "eth0", rxBytes: 1_843_702_931, rxPackets: 14_283_551, txBytes: 2_394_518_821, txPackets: 9_180_345),
            NetDevCounters(name: "wlan0", rxBytes: 0, rxPackets: 0, txBytes: 0, txPackets: 0),
        ])
        let disks = try parseFixture(Self.tree419, "diskstats") { (b, f) throws(ParseError) in try Parse.diskstats(b, file: f) }
        #expect(disks.map(\.name) == ["ram0", "ram1", "ram2", "ram3", "loop0", "loop1", "mmcblk0", "mmcblk0p1", "mmcblk0p2"])
        #expect(disks[6] == DiskCounters(major: 179, minor: 0, name: "mmcblk0", readsCompleted: 48213, sectorsRead: 3_180_374,
                                         writesCompleted: 391_052, sectorsWritten: 10_438_144))
        #expect(disks[8].minor == 2 && disks[8].sectorsWritten == 10_438_142)
        // node_exporter's default filter keeps the SD card and, as its regex does not name
        // mmcblk partitions, the partitions too.
        #expect(disks.filter { Parse.isWholeDisk($0.name) }.map(\.name) == ["mmcblk0", "mmcblk0p1", "mmcblk0p2"])
    }

    @Test func linux419SnmpAndSockstatAgreeWithNetTCP() throws {
        #expect(try parseFixture(Self.tree419, "net/snmp") { (b, f) throws(ParseError) in try Parse.snmpTCP(b, file: f).currEstab } == 2)
        #expect(try parseFixture(Self.tree419, "net/sockstat") { (b, f) throws(ParseError) in try Parse.sockstatTCP(b, file: f).timeWait } == 1)
        var reader = ProcReader(root: fixture(Self.tree419))
        let tcp = try reader.tcpStates().get()
        #expect(tcp.established == 2 && tcp.timeWait == 1)
    }

    /// PSI appeared in Linux 4.20: the 4.19 tree has no pressure/ directory at all.
    @Test func linux419HasNoPressure() {
        #expect(!fixtureExists(Self.tree419, "pressure"))
        #expect(!fixtureExists(Self.tree419, "pressure/cpu"))
        #expect(fixtureExists(Self.tree618, "pressure/cpu"))
        #expect(fixtureExists(Self.tree419, "net/dev"))
    }
}
