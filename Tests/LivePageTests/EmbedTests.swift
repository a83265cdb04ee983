import Foundation
import Testing
@testable import LivePage

/// The generated source carries every byte of the web files, whatever they contain.
@Suite struct EmbedTests {
    static let web = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Sources/LivePage/web").standardized

    @Test func everyWebFileIsEmbeddedByteForByte() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.web.path).sorted()
        #expect(names.contains("index.html"))
        #expect(LivePage.assets.count == names.count)
        for name in names {
            let disk = try [UInt8](Data(contentsOf: Self.web.appendingPathComponent(name)))
            let path = name == "index.html" ? "/" : "/" + name
            let asset = try #require(LivePage.asset(at: Substring(path)), "\(name) not embedded")
            #expect(asset.bytes == disk, "\(name): embedded bytes differ from the file")
        }
    }

    @Test func contentTypes() {
        #expect(LivePage.index.path == "/")
        #expect(LivePage.index.contentType == "text/html; charset=utf-8")
        #expect(LivePage.contentType(of: "app.js") == "text/javascript; charset=utf-8")
        #expect(LivePage.contentType(of: "app.css") == "text/css; charset=utf-8")
        #expect(LivePage.contentType(of: "x.png") == "application/octet-stream")
        #expect(LivePage.asset(at: "/index.html") == nil)
        #expect(LivePage.asset(at: "/nope.js") == nil)
    }
}
