import Testing
@testable import ProcFS
@testable import ProcParsers

/// The fixture trees' unit files read through the daemon's reader and the cgroup parsers, as a
/// collector will: a file that is not there (ENOENT: the controller is off for that unit, or
/// on v1 the unit has no directory in that hierarchy) is a null figure, never the parent's.
struct Figures: Equatable, CustomStringConvertible {
    var cpuMicroseconds: UInt64?
    var memoryBytes: UInt64?
    var anonBytes: UInt64?
    var tasks: UInt64?
    var io: CgroupIO?
    var cpuPressure: CgroupPressure?
    var ioPressure: CgroupPressure?

    var description: String {
        "cpu \(cpuMicroseconds.map(String.init) ?? "nil") mem \(memoryBytes.map(String.init) ?? "nil") "
            + "anon \(anonBytes.map(String.init) ?? "nil") tasks \(tasks.map(String.init) ?? "nil") io \(String(describing: io)) "
            + "cpu psi \(String(describing: cpuPressure)) io psi \(String(describing: ioPressure))"
    }
}

let enoent: [Int32] = [2]

extension ProcReader {
    /// `file` under the root, nil if absent; any other failure throws.
    mutating func optional<T>(_ file: String, _ parse: (UnsafeRawBufferPointer) throws(ParseError) -> T) throws -> T? {
        try read(file, absentErrors: enoent) { (b) throws(ParseError) in try parse(b) }.get()
    }

    mutating func v2Figures(_ unit: String) throws -> Figures {
        let d = unit + "/"
        return Figures(
            cpuMicroseconds: try optional(d + "cpu.stat") { (b) throws(ParseError) in try Parse.cgroupCPUUsage(b) },
            memoryBytes: try optional(d + "memory.current") { (b) throws(ParseError) in try Parse.cgroupValue(b, file: "memory.current") },
            anonBytes: try optional(d + "memory.stat") { (b) throws(ParseError) in try Parse.cgroupMemoryAnon(b) },
            tasks: try optional(d + "pids.current") { (b) throws(ParseError) in try Parse.cgroupValue(b, file: "pids.current") },
            io: try optional(d + "io.stat") { (b) throws(ParseError) in try Parse.cgroupIOStat(b) },
            cpuPressure: try optional(d + "cpu.pressure") { (b) throws(ParseError) in try Parse.cgroupPressureSome(b) },
            ioPressure: try optional(d + "io.pressure") { (b) throws(ParseError) in try Parse.cgroupPressureSome(b, file: "io.pressure") })
    }

    /// v1: each figure from its own hierarchy (through systemd's `cpuacct` symlink), PSI from
    /// the controller-less unified/ mount; anon is memory.stat's hierarchical total_rss.
    mutating func hybridFigures(_ unit: String) throws -> Figures {
        Figures(
            cpuMicroseconds: try optional("cpuacct/\(unit)/cpuacct.usage") { (b) throws(ParseError) in try Parse.cpuacctUsageMicroseconds(b) },
            memoryBytes: try optional("memory/\(unit)/memory.usage_in_bytes") { (b) throws(ParseError) in try Parse.cgroupValue(b, file: "memory.usage_in_bytes") },
            anonBytes: try optional("memory/\(unit)/memory.stat") { (b) throws(ParseError) in try Parse.cgroupV1MemoryStat(b) }?.totalRSSBytes,
            tasks: try optional("pids/\(unit)/pids.current") { (b) throws(ParseError) in try Parse.cgroupValue(b, file: "pids.current") },
            io: try optional("blkio/\(unit)/blkio.throttle.io_service_bytes_recursive") { (b) throws(ParseError) in try Parse.blkioServiceBytes(b) },
            cpuPressure: try optional("unified/\(unit)/cpu.pressure") { (b) throws(ParseError) in try Parse.cgroupPressureSome(b) },
            ioPressure: try optional("unified/\(unit)/io.pressure") { (b) throws(ParseError) in try Parse.cgroupPressureSome(b, file: "io.pressure") })
    }
}

func io(_ r: UInt64, _ w: UInt64) -> CgroupIO { CgroupIO(readBytes: r, writeBytes: w) }
func psi(_ avg10: Double, _ total: UInt64) -> CgroupPressure { CgroupPressure(avg10: avg10, totalMicroseconds: total) }
let calm = psi(0, 0)

@Suite struct CgroupFixtureTests {
    @Test func unifiedUnits() throws {
        var reader = ProcReader(root: fixture("cgroup-v2"))
        let u1000 = "user.slice/user-1000.slice/user@1000.service"
        let table: [(String, Figures)] = [
            ("system.slice/nginx.service", Figures(cpuMicroseconds: 48_211_907, memoryBytes: 38_158_336, anonBytes: 14_680_064, tasks: 3,
                                                   io: io(41_943_040, 8_388_608), cpuPressure: psi(1.25, 1_834_512), ioPressure: psi(0.40, 920_431))),
            // Three devices: the NVMe disk, the LVM volume on it (both see the same bios), a second volume.
            ("system.slice/postgresql@15-main.service", Figures(cpuMicroseconds: 912_003_811, memoryBytes: 283_054_080, anonBytes: 52_428_800,
                                                                tasks: 7, io: io(1_468_006_400, 3_774_877_696), cpuPressure: psi(4.51, 98_120_344),
                                                                ioPressure: psi(12.04, 712_334_019))),
            ("system.slice/_cpu.service", Figures(cpuMicroseconds: 81_234, memoryBytes: 2_367_488, anonBytes: 1_179_648, tasks: 1,
                                                  io: io(2_097_152, 0), cpuPressure: psi(0.10, 8123), ioPressure: calm)),
            // io enabled, no IO yet: an empty io.stat, zero bytes.
            ("system.slice/cron.service", Figures(cpuMicroseconds: 1_503_882, memoryBytes: 4_620_288, anonBytes: 757_760, tasks: 1,
                                                  io: io(0, 0), cpuPressure: psi(0, 2912), ioPressure: calm)),
            ("system.slice/system-nomem.slice/no-memory.service", Figures(cpuMicroseconds: 3_310_007, memoryBytes: nil, anonBytes: nil, tasks: 2,
                                                                          io: io(819_200, 0), cpuPressure: psi(0.33, 50021), ioPressure: calm)),
            ("system.slice/system-noio.slice/no-io.service", Figures(cpuMicroseconds: 555_000, memoryBytes: 3_145_728, anonBytes: 2_097_152,
                                                                     tasks: 1, io: nil, cpuPressure: calm, ioPressure: calm)),
            // The user manager: its own directory, which already holds its units' figures.
            (u1000, Figures(cpuMicroseconds: 90_700_000, memoryBytes: 70_660_096, anonBytes: 43_593_728, tasks: 17,
                            io: io(52_428_800, 10_485_760), cpuPressure: psi(2.01, 4_400_123), ioPressure: calm)),
            (u1000 + "/app.slice/syncthing.service", Figures(cpuMicroseconds: 90_120_334, memoryBytes: 61_865_984, anonBytes: 40_370_176,
                                                             tasks: 14, io: nil, cpuPressure: psi(2.01, 4_400_123), ioPressure: calm)),
            ("init.scope", Figures(cpuMicroseconds: 5_120_033, memoryBytes: 11_313_152, anonBytes: 2_981_888, tasks: 1,
                                   io: io(122_683_392, 0), cpuPressure: calm, ioPressure: calm)),
        ]
        for (unit, expected) in table {
            let got = try reader.v2Figures(unit)
            #expect(got == expected, "\(unit): \(got)")
        }
    }

    /// Every unit discovery finds has files that all parse.
    @Test(arguments: ["cgroup-v2", "cgroup-hybrid/unified"])
    func everyUnitParses(_ tree: String) throws {
        var reader = ProcReader(root: fixture(tree))
        let units = CgroupUnits.discover(children: subdirectories(of: fixture(tree))).units
        #expect(units.count >= 11)
        for unit in units {
            let f = try reader.v2Figures(unit.path)
            #expect(f.cpuMicroseconds != nil && f.cpuPressure != nil && f.ioPressure != nil, "\(unit.path)")
        }
    }

    /// Limit files hold `max`; the counter parser refuses them rather than read a number.
    @Test func limitFilesAreNotCounters() throws {
        var reader = ProcReader(root: fixture("cgroup-v2"))
        let r = reader.read("system.slice/nginx.service/memory.max") { (b) throws(ParseError) in try Parse.cgroupValue(b, file: "memory.max") }
        guard case .failure(let e) = r else { Issue.record("memory.max parsed as a counter"); return }
        #expect(e.message.contains("memory.max line 1"))
    }

    @Test func hybridUnits() throws {
        var reader = ProcReader(root: fixture("cgroup-hybrid"))
        let u1000 = "user.slice/user-1000.slice/user@1000.service"
        let table: [(String, Figures)] = [
            ("system.slice/nginx.service", Figures(cpuMicroseconds: 48_211_907, memoryBytes: 38_158_336, anonBytes: 14_680_064, tasks: 3,
                                                   io: io(20_971_520, 4_194_304), cpuPressure: psi(1.25, 1_834_512), ioPressure: calm)),
            ("system.slice/postgresql@15-main.service", Figures(cpuMicroseconds: 912_003_811, memoryBytes: 283_054_080, anonBytes: 52_428_800,
                                                                tasks: 7, io: io(734_003_200, 1_887_440_896), cpuPressure: psi(4.51, 98_120_344),
                                                                ioPressure: calm)),
            ("system.slice/cron.service", Figures(cpuMicroseconds: 1_503_882, memoryBytes: 4_620_288, anonBytes: 757_760, tasks: 1,
                                                  io: io(0, 0), cpuPressure: psi(0, 2912), ioPressure: calm)),
            // Not in memory/: null, although memory/system.slice/system-nomem.slice holds its pages.
            ("system.slice/system-nomem.slice/no-memory.service", Figures(cpuMicroseconds: 3_310_007, memoryBytes: nil, anonBytes: nil, tasks: 2,
                                                                          io: io(409_600, 0), cpuPressure: psi(0.33, 50021), ioPressure: calm)),
            (u1000, Figures(cpuMicroseconds: 90_700_000, memoryBytes: 70_660_096, anonBytes: 43_593_728, tasks: 17,
                            io: io(52_428_800, 10_485_760), cpuPressure: psi(2.01, 4_400_123), ioPressure: calm)),
            // A user unit: no v1 controller is delegated to its manager; only unified/ has it.
            (u1000 + "/app.slice/syncthing.service", Figures(cpuMicroseconds: nil, memoryBytes: nil, anonBytes: nil, tasks: nil, io: nil,
                                                             cpuPressure: psi(2.01, 4_400_123), ioPressure: calm)),
        ]
        for (unit, expected) in table {
            let got = try reader.hybridFigures(unit)
            #expect(got == expected, "\(unit): \(got)")
        }
    }

    /// v1 keeps a cgroup's own figures apart from its subtree's: a slice's plain blkio file and
    /// memory.stat keys count nothing (no process of its own), the recursive / total_* ones all.
    @Test func hybridOwnVersusHierarchical() throws {
        var reader = ProcReader(root: fixture("cgroup-hybrid"))
        let own = try reader.optional("blkio/system.slice/blkio.throttle.io_service_bytes") { (b) throws(ParseError) in try Parse.blkioServiceBytes(b) }
        let all = try reader.optional("blkio/system.slice/blkio.throttle.io_service_bytes_recursive") { (b) throws(ParseError) in try Parse.blkioServiceBytes(b) }
        #expect(own == io(0, 0))
        #expect(all == io(801_000_000, 2_000_004_096))
        let mem = try reader.optional("memory/system.slice/memory.stat") { (b) throws(ParseError) in try Parse.cgroupV1MemoryStat(b) }
        #expect(mem == CgroupV1MemoryStat(rssBytes: 0, totalRSSBytes: 81_997_824))
        // On unified/ the v2 core file still counts CPU per unit, in µs, like cpuacct.usage.
        let usage = try reader.optional("unified/system.slice/nginx.service/cpu.stat") { (b) throws(ParseError) in try Parse.cgroupCPUUsage(b) }
        #expect(usage == 48_211_907)
    }
}
