import Testing
@testable import ProcFS
@testable import ProcParsers

func pressure(_ text: String, file: String = "pressure/io") throws(ParseError) -> Pressure {
    try parse(text) { (b) throws(ParseError) in try Parse.pressure(b, file: file) }
}

@Suite struct PressureParserTests {
    @Test func someAndFull() throws {
        let p = try pressure("some avg10=1.44 avg60=0.50 avg300=0.10 total=123456789\nfull avg10=0.25 avg60=12.00 avg300=100.00 total=98765\n")
        #expect(p.some == PressureStall(avg10: 1.44, avg60: 0.5, avg300: 0.1, totalMicros: 123_456_789))
        #expect(p.full == PressureStall(avg10: 0.25, avg60: 12, avg300: 100, totalMicros: 98765))
    }

    /// pressure/cpu before Linux 5.13 has no `full` line: nil, not an error.
    @Test func cpuBefore513HasNoFullLine() throws {
        let p = try pressure("some avg10=0.00 avg60=0.03 avg300=0.01 total=5117\n", file: "pressure/cpu")
        #expect(p.some.totalMicros == 5117)
        #expect(p.some.avg60 == 0.03)
        #expect(p.full == nil)
    }

    /// Decimals are read as the nearest Double (what the literal is), not summed digit by digit.
    @Test(arguments: [("0.01", 0.01), ("0.07", 0.07), ("1.44", 1.44), ("12.08", 12.08), ("99.99", 99.99), ("0.3", 0.3),
                      ("7", 7.0), ("100.00", 100.0), ("33.33", 33.33)])
    func averagesAreExact(_ text: String, _ value: Double) throws {
        let p = try pressure("some avg10=\(text) avg60=0.00 avg300=0.00 total=0\n")
        #expect(p.some.avg10 == value)
    }

    @Test func keysInAnyOrderUnknownKeysAndLinesIgnored() throws {
        let p = try pressure("""
            some total=42 avg300=0.30 future=x avg60=0.20 avg10=0.10 max=7
            burst avg10=9.99 anything
            full avg300=3.00 avg10=1.00 total=0 avg60=2.00

            """)
        #expect(p.some == PressureStall(avg10: 0.1, avg60: 0.2, avg300: 0.3, totalMicros: 42))
        #expect(p.full == PressureStall(avg10: 1, avg60: 2, avg300: 3, totalMicros: 0))
    }

    @Test func fullBeforeSomeAndTabs() throws {
        let p = try pressure("full\tavg10=0.00 avg60=0.00 avg300=0.00 total=1\nsome avg10=0.00\tavg60=0.00 avg300=0.00  total=2\n")
        #expect(p.some.totalMicros == 2 && p.full?.totalMicros == 1)
    }

    @Test func largestTotal() throws {
        let p = try pressure("some avg10=0.00 avg60=0.00 avg300=0.00 total=18446744073709551615\n")
        #expect(p.some.totalMicros == UInt64.max)
    }

    @Test(arguments: [
        "",                                                                      // empty
        "\n\n",                                                                  // blank
        "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",                      // no some line
        "some avg10=0.00 avg60=0.00 avg300=0.00\n",                              // no total
        "some avg60=0.00 avg300=0.00 total=1\n",                                 // no avg10
        "some avg10=0.00 avg60=0.00 avg300=0.00 total=1\nsome avg10=0.00 avg60=0.00 avg300=0.00 total=1\n", // some twice
        "some avg10=0.00 avg60=0.00 avg300=0.00 total=1\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=1\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=1\n",
        "some avg10=0.00 avg10=0.00 avg60=0.00 avg300=0.00 total=1\n",           // a key twice
        "some avg10 avg60=0.00 avg300=0.00 total=1\n",                           // no '='
        "some avg10= avg60=0.00 avg300=0.00 total=1\n",                          // no value
        "some =1 avg10=0.00 avg60=0.00 avg300=0.00 total=1\n",                   // no key
        "some future avg10=0.00 avg60=0.00 avg300=0.00 total=1\n",               // an unknown token that is not key=value
        "some avg10=-1.00 avg60=0.00 avg300=0.00 total=1\n",                     // negative
        "some avg10=0.00 avg60=0.00 avg300=0.00 total=-1\n",                     // negative total
        "some avg10=abc avg60=0.00 avg300=0.00 total=1\n",                       // not a number
        "some avg10=1.4x avg60=0.00 avg300=0.00 total=1\n",                      // trailing garbage
        "some avg10=1. avg60=0.00 avg300=0.00 total=1\n",                        // no fraction digits
        "some avg10=.5 avg60=0.00 avg300=0.00 total=1\n",                        // no whole digits
        "some avg10=1.2.3 avg60=0.00 avg300=0.00 total=1\n",                     // two points
        "some avg10=0.00 avg60=0.00 avg300=0.00 total=1.5\n",                    // fractional total
        "some avg10=0.00 avg60=0.00 avg300=0.00 total=18446744073709551616\n",   // total overflows
        "some avg10=184467440737095516160 avg60=0.00 avg300=0.00 total=1\n",     // average overflows
        "some avg10=0.00 avg60=0.00 avg300=0.00 total=123456789",                // no newline: truncated
        "some avg10=0.00 avg60=0.00 avg300=0.0",                                 // cut mid-number
        "\u{0}\u{1}garbage\n",
    ])
    func rejects(_ text: String) {
        #expect(throws: ParseError.self) { try pressure(text) }
    }

    /// A read cut off mid-number must not pass for a smaller number: the missing newline gives
    /// it away, at every cut inside the last number.
    @Test func aLineCutMidNumberIsRejected() throws {
        let line = "some avg10=1.44 avg60=0.50 avg300=0.10 total=123456789\n"
        let bytes = Array(line.utf8)
        let start = bytes.count - 1 - "123456789".count
        for cut in start..<bytes.count - 1 {
            let text = String(decoding: bytes[..<cut], as: UTF8.self)
            #expect(throws: ParseError.self, "cut at \(cut): \(text)") { try pressure(text) }
        }
        #expect(try pressure(line).some.totalMicros == 123_456_789)
    }

    @Test func errorsNameFileAndLine() {
        let cases: [(String, Int, String)] = [
            ("some avg10=0.00 avg60=0.00 avg300=0.00 total=1\nfull avg10=0.00 avg60=-0.50 avg300=0.00 total=1\n", 2, "negative avg60"),
            ("some avg10=0.00 avg60=0.00 avg300=0.00 total=1\nfull avg10=0.00 avg60=0.00 avg300=0.00\n", 2, "no total"),
            ("\n\nsome avg10=x\n", 3, "bad avg10"),
            ("full avg10=0.00 avg60=0.00 avg300=0.00 total=1\n", 2, "no \"some\" line"),
            ("some avg10=0.00 avg60=0.00 avg300=0.00 total=1", 1, "without a newline"),
        ]
        for (text, line, message) in cases {
            do {
                _ = try pressure(text, file: "pressure/memory")
                Issue.record("expected an error for \(text)")
            } catch {
                #expect(error.file == "pressure/memory")
                #expect(error.line == line, "\(error)")
                #expect(error.message.contains(message), "\(error)")
                #expect(error.description.hasPrefix("pressure/memory line \(line): "))
            }
        }
    }
}
