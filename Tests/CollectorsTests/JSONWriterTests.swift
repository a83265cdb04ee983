import Testing
@testable import Collectors

@Suite struct FormattingTests {
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"),
        (Int64(951_782_400_123), "2000-02-29T00:00:00.123Z"),
        (Int64(1_795_618_210_385), "2026-11-25T14:50:10.385Z"),
        (Int64(4_102_444_799_999), "2099-12-31T23:59:59.999Z"),
        (Int64(-1), "1969-12-31T23:59:59.999Z"),
    ])
    func rfc3339(_ millis: Int64, _ expected: String) {
        #expect(Timestamp.rfc3339(millis: millis) == expected)
    }

    @Test func jsonWriter() {
        var w = JSONWriter()
        w.beginObject()
        w.key("s"); w.string("a\"b\\c\n\u{1}é")
        w.key("i"); w.integer(-42)
        w.key("u"); w.integer(UInt64.max)
        w.key("f"); w.fixed(12.345, decimals: 2)
        w.key("g"); w.fixed(0.005, decimals: 2)
        w.key("h"); w.fixed(-0.001, decimals: 2)
        w.key("n"); w.fixed(.nan, decimals: 2)
        w.key("a"); w.beginArray(); w.integer(1); w.null(); w.beginObject(); w.endObject(); w.endArray()
        w.endObject()
        #expect(String(decoding: w.bytes, as: UTF8.self) ==
            #"{"s":"a\"b\\c\n\u0001é","i":-42,"u":18446744073709551615,"f":12.35,"g":0.01,"h":0.00,"n":null,"a":[1,null,{}]}"#)
    }
}
