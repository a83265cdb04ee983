import Foundation
import Testing

/// The real binary against each fixture tree (`--once --proc-root TREE`), compared byte for byte
/// with a committed golden file, all but the fields that differ per run or machine (timestamp,
/// host, collect_us). A change to any field's name, order, format or value shows here.
/// Regenerate after an intended change with:
///     PROCSTREAM_UPDATE_GOLDEN=1 swift test --filter GoldenTests
/// and read the diff of Tests/EndToEndTests/Golden/ before committing it.
@Suite struct GoldenTests {
    static let golden = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().appendingPathComponent("Golden")

    /// The run-dependent fields, masked.
    static func masked(_ json: String) -> String {
        var s = json
        for (pattern, replacement) in [(#""timestamp":"[^"]*""#, #""timestamp":"*""#), (#""host":"[^"]*""#, #""host":"*""#),
                                       (#""collect_us":[0-9]+"#, #""collect_us":0"#)] {
            s = s.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
        }
        return s
    }

    @Test(arguments: ["linux-6.18-x86_64", "linux-4.19-armv7-noipv6"])
    func onceAgainstTheFixtureTreeMatchesItsGoldenFile(tree: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: daemonBinary())
        p.arguments = ["--once", "--proc-root", fixtureTree(tree).path]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let log = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(p.terminationStatus == 0, "a source failed: \(log)")
        let got = Self.masked(String(decoding: data, as: UTF8.self))
        let file = Self.golden.appendingPathComponent("\(tree).json")
        if ProcessInfo.processInfo.environment["PROCSTREAM_UPDATE_GOLDEN"] == "1" {
            try got.write(to: file, atomically: true, encoding: .utf8)
            return
        }
        let want = (try? String(contentsOf: file, encoding: .utf8)) ?? "(no golden file \(file.path): regenerate it, see GoldenTests)"
        #expect(got == want, "\n got: \(got)\nwant: \(want)")
        #expect(try JSONSerialization.jsonObject(with: data) is [String: Any])
    }
}
