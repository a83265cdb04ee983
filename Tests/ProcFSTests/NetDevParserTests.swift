import Testing
@testable import ProcFS
@testable import ProcParsers

func netDev(_ text: String, file: String = "net/dev") throws(ParseError) -> [NetDevCounters] {
    try parse(text) { (b) throws(ParseError) in try Parse.netDev(b, file: file) }
}

@Suite struct NetDevParserTests {
    static let header = """
        Inter-|   Receive                                                |  Transmit
         face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed

        """

    /// rx bytes, rx packets = columns 1, 2; tx bytes, tx packets = columns 9, 10.
    @Test func countersFromTheRightColumns() throws {
        let d = try netDev(Self.header + """
                lo: 16944094   41793    0    0    0     0          0         0 16944094   41793    0    0    0     0       0          0
              eth0: 199983059    6584    1    2    3     4          5         6   481907    4670    7    8    9    10      11         12

            """)
        #expect(d == [
            NetDevCounters(name: "lo", rxBytes: 16_944_094, rxPackets: 41793, txBytes: 16_944_094, txPackets: 41793),
            NetDevCounters(name: "eth0", rxBytes: 199_983_059, rxPackets: 6584, txBytes: 481_907, txPackets: 4670),
        ])
    }

    /// Kernels before 2.6.x print `eth0:1234`, and a counter wider than its column still
    /// touches the colon there.
    @Test func noSpaceAfterTheColon() throws {
        let d = try netDev(Self.header + "  eth0:1234 5 0 0 0 0 0 0 5678 9 0 0 0 0 0 0\nwlan0:4294967296 1 0 0 0 0 0 0 2 3 0 0 0 0 0 0\n")
        #expect(d == [
            NetDevCounters(name: "eth0", rxBytes: 1234, rxPackets: 5, txBytes: 5678, txPackets: 9),
            NetDevCounters(name: "wlan0", rxBytes: 4_294_967_296, rxPackets: 1, txBytes: 2, txPackets: 3),
        ])
    }

    /// Names cannot hold ':' or whitespace but may hold dots, dashes, '@' and more, up to 15 bytes
    /// (then the `%6s` column is full and the name starts the line).
    @Test(arguments: ["eth0.100", "br-1a2b3c4d5e6f", "veth@if3", "wg_0", "enp0s31f6", "x"])
    func interfaceNames(_ name: String) throws {
        let d = try netDev(Self.header + "\(name): 1 2 0 0 0 0 0 0 3 4 0 0 0 0 0 0\n")
        #expect(d.map(\.name) == [name])
        #expect(d[0].txPackets == 4)
    }

    @Test func headerOnlyIsNoInterfaces() throws {
        #expect(try netDev(Self.header).isEmpty)
    }

    /// Extra numbers at the end of a row (a later kernel's columns) are ignored; blank lines too.
    @Test func extraColumnsAndBlankLinesIgnored() throws {
        let d = try netDev(Self.header + "\n  eth0: 1 2 0 0 0 0 0 0 3 4 0 0 0 0 0 0 99 98\n\n")
        #expect(d == [NetDevCounters(name: "eth0", rxBytes: 1, rxPackets: 2, txBytes: 3, txPackets: 4)])
    }

    /// The four columns are found by name: a receive column added before the transmit group
    /// moves transmit bytes to column 10, and a row then needs 17 numbers.
    @Test func columnsAreFoundByNameInTheHeader() throws {
        let header = "Inter-|   Receive                                                |  Transmit\n"
            + " face |bytes    packets errs drop fifo frame compressed multicast newcol|bytes    packets errs drop fifo colls carrier compressed\n"
        let d = try netDev(header + "  eth0: 1 2 0 0 0 0 0 0 77 3 4 0 0 0 0 0 0\n")
        #expect(d == [NetDevCounters(name: "eth0", rxBytes: 1, rxPackets: 2, txBytes: 3, txPackets: 4)])
        #expect(throws: ParseError.self) { try netDev(header + "  eth0: 1 2 0 0 0 0 0 0 77 3 4 0 0 0 0 0\n") }
    }

    @Test func largestCounter() throws {
        let d = try netDev(Self.header + "lo: 18446744073709551615 2 0 0 0 0 0 0 3 4 0 0 0 0 0 0\n")
        #expect(d[0].rxBytes == UInt64.max)
    }

    static let row = "  eth0: 1 2 0 0 0 0 0 0 3 4 0 0 0 0 0 0\n"

    @Test(arguments: [
        "",                                                                       // empty
        "garbage\n",                                                              // not net/dev
        "Inter-|   Receive |  Transmit",                                          // first header line without newline
        "Inter-|   Receive |  Transmit\n",                                        // no second header line
        "Inter-|   Receive |  Transmit\nbytes packets\n" + NetDevParserTests.row, // second line names no columns
        "Inter-|\n face |bytes packets|bytes\n" + NetDevParserTests.row,          // no transmit packets
        "Inter-|\n face |errs drop|bytes packets\n" + NetDevParserTests.row,      // no receive bytes
        "Inter-|\n face |bytes packets|bytes packets\n  eth0: 1 2 3 4\n",         // only 4 columns named
        "Inter-|\n face |bytes packets errs drop fifo frame compressed multicast|bytes packets errs drop fifo colls carrier compressed|x\n", // a third group
        " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n", // first header line missing
        NetDevParserTests.header + "  eth0: 1 2 0 0 0 0 0 0 3 4 0 0 0 0 0\n",   // 15 numbers
        NetDevParserTests.header + "  eth0:\n",                                   // none
        NetDevParserTests.header + "  eth0 1 2 0 0 0 0 0 0 3 4 0 0 0 0 0 0\n",    // no colon
        NetDevParserTests.header + "  eth 0: 1 2 0 0 0 0 0 0 3 4 0 0 0 0 0 0\n",  // whitespace in a name
        NetDevParserTests.header + "  : 1 2 0 0 0 0 0 0 3 4 0 0 0 0 0 0\n",       // empty name
        NetDevParserTests.header + "  eth0: 1 2 0 0 x 0 0 0 3 4 0 0 0 0 0 0\n",   // garbage
        NetDevParserTests.header + "  eth0: 1 2 0 0 0 0 0 0 3 4 0 0 0 0 0 0x\n",  // trailing garbage
        NetDevParserTests.header + "  eth0: 1 -2 0 0 0 0 0 0 3 4 0 0 0 0 0 0\n",  // negative
        NetDevParserTests.header + "  eth0: 18446744073709551616 2 0 0 0 0 0 0 3 4 0 0 0 0 0 0\n", // overflow
        NetDevParserTests.header + "  eth0: 1 2 0 0 0 0 0 0 3 4 0 0 0 0 0 0",     // no newline: truncated
        NetDevParserTests.header + "  eth0: 1 2 0 0 0 0 0 0 3 4 0 0 0 0 0 10",    // cut mid-number
    ])
    func rejects(_ text: String) {
        #expect(throws: ParseError.self) { try netDev(text) }
    }

    /// Cut anywhere inside the transmit bytes (column 9) or after it: never a row with a
    /// smaller count.
    @Test func aLineCutMidNumberIsRejected() throws {
        let row = "  eth0: 1 2 0 0 0 0 0 0 481907 4670 0 0 0 0 0 0\n"
        let bytes = Array(row.utf8)
        let start = bytes.count - 1 - "481907 4670 0 0 0 0 0 0".count
        for cut in start..<bytes.count - 1 {
            let text = Self.header + String(decoding: bytes[..<cut], as: UTF8.self)
            #expect(throws: ParseError.self, "cut at \(cut)") { try netDev(text) }
        }
        #expect(try netDev(Self.header + row)[0].txBytes == 481_907)
    }

    @Test func errorsNameFileAndLine() {
        let cases: [(String, Int, String)] = [
            (Self.header + "    lo: 1 2 0 0 0 0 0 0 3 4 0 0 0 0 0 0\n  eth0: 1 2 0 0\n", 4, "4 counters, expected 16"),
            (Self.header + "    lo: 1 2 0 0 0 0 0 0 3 4 0 0 0 0 0 0\n\n  eth0 1\n", 5, "expected \"interface:\""),
            ("Inter-|\nface\n", 2, "does not name the columns"),
            ("bogus\n", 1, "missing header"),
        ]
        for (text, line, message) in cases {
            do {
                _ = try netDev(text, file: "net/dev")
                Issue.record("expected an error for \(text)")
            } catch {
                #expect(error.file == "net/dev")
                #expect(error.line == line, "\(error)")
                #expect(error.message.contains(message), "\(error)")
                #expect(error.description.hasPrefix("net/dev line \(line): "))
            }
        }
    }
}
