/// /proc/diskstats: one line per block device and partition.
///
///        8       0 sda 1234 0 5678 100 910 0 1112 130 0 140 230 0 0 0 0 10 5
///
/// Fields, counted from 1 over the whole line: 1 major, 2 minor, 3 name, then the statistics
/// (Documentation/admin-guide/iostats.rst): 4 reads completed, 5 reads merged, 6 sectors read,
/// 7 ms reading, 8 writes completed, 9 writes merged, 10 sectors written, 11 ms writing,
/// 12 I/Os in progress, 13 ms doing I/O, 14 weighted ms. Linux 4.18 appended four discard
/// fields (18 in all), 5.5 two flush fields (20). Sectors are 512 bytes whatever the device's
/// block size. The counters are raw totals (rates are computed elsewhere).

/// One device's read and write totals.
public struct DiskCounters: Equatable, Sendable {
    public var major: UInt32
    public var minor: UInt32
    public var name: String
    /// Field 4.
    public var readsCompleted: UInt64
    /// Field 6, in 512-byte sectors.
    public var sectorsRead: UInt64
    /// Field 8.
    public var writesCompleted: UInt64
    /// Field 10, in 512-byte sectors.
    public var sectorsWritten: UInt64

    public init(major: UInt32, minor: UInt32, name: String, readsCompleted: UInt64, sectorsRead: UInt64,
                writesCompleted: UInt64, sectorsWritten: UInt64) {
        (self.major, self.minor, self.name) = (major, minor, name)
        (self.readsCompleted, self.sectorsRead) = (readsCompleted, sectorsRead)
        (self.writesCompleted, self.sectorsWritten) = (writesCompleted, sectorsWritten)
    }
}

extension Parse {
    /// Statistics after major, minor and name on every kernel since 2.6.25.
    static let diskstatsMinimumFields = 11

    /// The devices in the kernel's order. Each line needs major, minor, a name and at least 11
    /// statistics (fields after the 11th are ignored); a line cut off before its newline is an
    /// error, so a counter cut short is never read as a smaller one.
    public static func diskstats(_ bytes: UnsafeRawBufferPointer, file: String = "diskstats") throws(ParseError) -> [DiskCounters] {
        var s = Scanner(bytes)
        var disks: [DiskCounters] = []
        while !s.atEnd {
            s.skipSpaces()
            if s.atLineEnd { s.nextLine(); continue }
            guard let major = s.unsigned(), major <= UInt32.max, s.atTokenEnd else { throw ParseError(file, s, "bad major number") }
            guard let minor = s.unsigned(), minor <= UInt32.max, s.atTokenEnd else { throw ParseError(file, s, "bad minor number") }
            guard let name = s.token() else { throw ParseError(file, s, "no device name") }
            var disk = DiskCounters(major: UInt32(major), minor: UInt32(minor), name: "", readsCompleted: 0, sectorsRead: 0,
                                    writesCompleted: 0, sectorsWritten: 0)
            var n = 0   // statistics read; field number n + 4
            while true {
                s.skipSpaces()
                if s.atLineEnd { break }
                guard let v = s.unsigned(), s.atTokenEnd else { throw ParseError(file, s, "bad statistic (field \(n + 4))") }
                switch n + 4 {
                case 4: disk.readsCompleted = v
                case 6: disk.sectorsRead = v
                case 8: disk.writesCompleted = v
                case 10: disk.sectorsWritten = v
                default: break
                }
                n += 1
            }
            guard n >= diskstatsMinimumFields else {
                throw ParseError(file, s, "\(n) statistics, expected at least \(diskstatsMinimumFields)")
            }
            guard s.atNewline else { throw ParseError(file, s, "line ends without a newline (truncated read)") }
            disk.name = s.string(name)
            disks.append(disk)
            s.nextLine()
        }
        return disks
    }

    /// node_exporter's default diskstats filter, written out by hand: false for exactly the names
    /// its default `--collector.diskstats.device-exclude` regex matches,
    ///
    ///     ^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$
    ///
    /// (Go regexp: `\d` and `[a-z]` are ASCII, `$` is the end of the text). So RAM disks, zram,
    /// loop and floppy devices and the partitions of sd/hd/vd/xvd and NVMe disks are left out,
    /// and whole disks are kept, as is anything else it does not name: dm-0, md0, sr0, and
    /// mmcblk0p1 (an SD card partition) as well as mmcblk0.
    public static func isWholeDisk(_ name: String) -> Bool {
        !matchesDefaultDeviceExclude(Array(name.utf8))
    }

    static func matchesDefaultDeviceExclude(_ b: [UInt8]) -> Bool {
        func isDigit(_ i: Int) -> Bool { i < b.count && b[i] >= UInt8(ascii: "0") && b[i] <= UInt8(ascii: "9") }
        func isLower(_ i: Int) -> Bool { i < b.count && b[i] >= UInt8(ascii: "a") && b[i] <= UInt8(ascii: "z") }
        func has(_ word: StaticString, at i: Int) -> Bool {
            let n = word.utf8CodeUnitCount
            guard i + n <= b.count else { return false }
            for k in 0..<n where b[i + k] != word.utf8Start[k] { return false }
            return true
        }
        /// `\d+` from `i`: the index after the digits, nil if there are none.
        func digits(from i: Int) -> Int? {
            var j = i
            while isDigit(j) { j += 1 }
            return j > i ? j : nil
        }
        // The alternatives start with different letters and each ends in a non-digit, so at most
        // one can match a prefix and the trailing \d+ starts right after it: no backtracking.
        var i: Int
        if has("ram", at: 0) {
            i = 3
        } else if has("zram", at: 0) {
            i = 4
        } else if has("loop", at: 0) {
            i = 4
        } else if has("fd", at: 0) {
            i = 2
        } else if has("hd", at: 0) || has("sd", at: 0) || has("vd", at: 0) {
            guard isLower(2) else { return false }
            i = 3
        } else if has("xvd", at: 0) {
            guard isLower(3) else { return false }
            i = 4
        } else if has("nvme", at: 0) {
            guard let afterController = digits(from: 4), has("n", at: afterController),
                  let afterNamespace = digits(from: afterController + 1), has("p", at: afterNamespace) else { return false }
            i = afterNamespace + 1
        } else {
            return false
        }
        return digits(from: i) == b.count
    }
}
