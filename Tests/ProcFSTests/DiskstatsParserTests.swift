import Testing
@testable import ProcFS
@testable import ProcParsers

func diskstats(_ text: String, file: String = "diskstats") throws(ParseError) -> [DiskCounters] {
    try parse(text) { (b) throws(ParseError) in try Parse.diskstats(b, file: file) }
}

@Suite struct DiskstatsParserTests {
    /// Fields 4, 6, 8 and 10 counted over the whole line (1 major, 2 minor, 3 name), in each
    /// kernel's width: 14 fields before 4.18, 18 from 4.18, 20 from 5.5.
    @Test(arguments: [
        "   8       0 sda 1234 11 5678 100 910 12 1112 130 0 140 230\n",
        "   8       0 sda 1234 11 5678 100 910 12 1112 130 0 140 230 0 0 0 0\n",
        "   8       0 sda 1234 11 5678 100 910 12 1112 130 0 140 230 0 0 0 0 10 5\n",
        "   8       0 sda 1234 11 5678 100 910 12 1112 130 0 140 230 0 0 0 0 10 5 77 88 99\n",   // a later kernel's fields
    ])
    func kernelWidths(_ text: String) throws {
        let d = try diskstats(text)
        #expect(d == [DiskCounters(major: 8, minor: 0, name: "sda", readsCompleted: 1234, sectorsRead: 5678,
                                   writesCompleted: 910, sectorsWritten: 1112)])
    }

    @Test func severalDevicesInTheKernelsOrder() throws {
        let d = try diskstats("""
               7       0 loop0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
             254       0 vda 30484 6205 3042618 21879 42738 30974 3314984 24871 0 12772 47813 14671 0 1283896 913 6331 149
             259       1 nvme0n1p1 492 813 17572 96 848 81 108288 210 0 76 307 0 0 0 0 0 0
             253       0 dm-0 1 2 3 4 5 6 7 8 9 10 11
            4095 1048575 cciss!c0d0 1 0 2 0 3 0 4 0 0 0 0

            """)
        #expect(d.map(\.name) == ["loop0", "vda", "nvme0n1p1", "dm-0", "cciss!c0d0"])
        #expect(d[1] == DiskCounters(major: 254, minor: 0, name: "vda", readsCompleted: 30484, sectorsRead: 3_042_618,
                                     writesCompleted: 42738, sectorsWritten: 3_314_984))
        #expect(d[3].readsCompleted == 1 && d[3].sectorsRead == 3 && d[3].writesCompleted == 5 && d[3].sectorsWritten == 7)
        #expect(d[4].major == 4095 && d[4].minor == 1_048_575)
    }

    @Test func emptyFileIsNoDevicesAndBlankLinesAreSkipped() throws {
        #expect(try diskstats("").isEmpty)
        #expect(try diskstats("\n   8 0 sda 1 0 2 0 3 0 4 0 0 0 0\n\n").count == 1)
    }

    @Test func largestCounter() throws {
        let d = try diskstats("8 0 sda 18446744073709551615 0 0 0 0 0 0 0 0 0 0\n")
        #expect(d[0].readsCompleted == UInt64.max)
    }

    @Test(arguments: [
        "   8       0 sda 1234 11 5678 100 910 12 1112 130 0 140\n",             // 10 statistics
        "   8       0 sda\n",                                                      // none
        "   8       0\n",                                                          // no name
        "   8\n",                                                                  // no minor
        "garbage\n",
        "   8       x sda 1 2 3 4 5 6 7 8 9 10 11\n",                              // bad minor
        "   8a      0 sda 1 2 3 4 5 6 7 8 9 10 11\n",                              // trailing garbage on major
        "   8       0 sda 1 2 3 4 5 6 7 8 9 10 1x\n",                              // trailing garbage on a statistic
        "   8       0 sda 1 2 3 -4 5 6 7 8 9 10 11\n",                             // negative
        "   8       0 sda 1 2 18446744073709551616 4 5 6 7 8 9 10 11\n",           // overflow
        "4294967296 0 sda 1 2 3 4 5 6 7 8 9 10 11\n",                              // major beyond 32 bits
        "   8 4294967296 sda 1 2 3 4 5 6 7 8 9 10 11\n",                           // minor beyond 32 bits
        "   8       0 sda 1 2 3 4 5 6 7 8 9 10 11",                                // no newline: truncated
        "   8       0 sda 1 2 3 4 5 6 7 8 9 10 11\n   8       1 sda1 1 2 3 4 5 6 7 8 9 1", // cut mid-number
        "\u{0}\u{1}garbage\n",
    ])
    func rejects(_ text: String) {
        #expect(throws: ParseError.self) { try diskstats(text) }
    }

    /// Cut anywhere from the sectors written (field 10) to the end: rejected, never misread.
    @Test func aLineCutMidNumberIsRejected() throws {
        let line = " 254       0 vda 30484 6205 3042618 21879 42738 30974 3314984 24871 0 12772 47813\n"
        let bytes = Array(line.utf8)
        let start = bytes.count - 1 - "3314984 24871 0 12772 47813".count
        for cut in start..<bytes.count - 1 {
            let text = String(decoding: bytes[..<cut], as: UTF8.self)
            #expect(throws: ParseError.self, "cut at \(cut)") { try diskstats(text) }
        }
        #expect(try diskstats(line)[0].sectorsWritten == 3_314_984)
    }

    @Test func errorsNameFileAndLine() {
        let cases: [(String, Int, String)] = [
            ("   8 0 sda 1 2 3 4 5 6 7 8 9 10 11\n   8 1 sda1 1 2 3\n", 2, "3 statistics, expected at least 11"),
            ("   8 0 sda 1 2 3 4 5 6 7 8 9 10 11\n\n   8 1 sda1 1 2 x 4 5 6 7 8 9 10 11\n", 3, "bad statistic (field 6)"),
            ("   8 0\n", 1, "no device name"),
            ("   8 0 sda 1 2 3 4 5 6 7 8 9 10 11", 1, "without a newline"),
        ]
        for (text, line, message) in cases {
            do {
                _ = try diskstats(text, file: "diskstats")
                Issue.record("expected an error for \(text)")
            } catch {
                #expect(error.file == "diskstats")
                #expect(error.line == line, "\(error)")
                #expect(error.message.contains(message), "\(error)")
                #expect(error.description.hasPrefix("diskstats line \(line): "))
            }
        }
    }

    /// node_exporter's default `--collector.diskstats.device-exclude`,
    /// `^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$`: a matching name is excluded.
    @Test(arguments: [
        "ram0", "ram15", "zram0", "zram12", "loop0", "loop7", "loop123", "fd0", "fd1",
        "sda1", "sdz15", "hda1", "vdb2", "xvda1", "xvdz99",
        "nvme0n1p3", "nvme10n12p345", "nvme0n1p0",
    ])
    func excluded(_ name: String) {
        #expect(!Parse.isWholeDisk(name), "\(name) matches the regex")
    }

    @Test(arguments: [
        // whole disks and devices the regex does not name
        "sda", "vda", "xvda", "hdb", "nvme0n1", "nvme12n3", "dm-0", "md0", "md127", "mmcblk0", "sr0", "nbd0", "zd0",
        // SD/eMMC partitions: not in the regex, so kept
        "mmcblk0p1", "mmcblk0p2", "mmcblk0boot0",
        // near misses: each part of the pattern must match exactly
        "", "ram", "zram", "loop", "fd", "zzram0", "xram0", "ramdisk0", "loop7a", "loop 7", "loop7\n",
        "sd1", "sdaa1", "sdA1", "SDA1", "sda1a", "xvd1", "xda1", "vd1", "ssda1",
        "nvme0n1p", "nvme0np1", "nvmen1p1", "nvme0n1q1", "nvme0n1p1x", "nvme0p1",
        "loop\u{0661}", "sda\u{0661}",   // an Arabic-Indic digit is not \d in Go
    ])
    func kept(_ name: String) {
        #expect(Parse.isWholeDisk(name), "\(name) does not match the regex")
    }
}
