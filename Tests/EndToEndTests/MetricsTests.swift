import Foundation
import Glibc
import Testing

/// `/metrics` through the real binary: the token rule, HEAD, one render per tick shared by
/// scrapers, and per-unit series from the tick after the first scrape.
@Suite(.serialized) struct MetricsTests {
    func get(_ port: UInt16, _ path: String, method: String = "GET", headers: String = "") throws -> (status: Int, headers: [String: String], body: String) {
        let c = try Client(port: port)
        c.send("\(method) \(path) HTTP/1.1\r\nHost: h\r\n\(headers)Connection: close\r\n\r\n")
        c.readToEOF(timeout: 3)
        let head = responseHead(c.text)
        let body = c.text.range(of: "\r\n\r\n").map { String(c.text[$0.upperBound...]) } ?? ""
        return (head?.status ?? 0, head?.headers ?? [:], body)
    }

    @Test func tokenAppliesHealthzStaysOpenAndUnitsAppearAfterAScrape() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("procstream-metrics-token-\(getpid())")
        try "metrics-scrape-token-0123\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let daemon = try Daemon(["--interval", "0.2", "--token-file", file.path, "--cgroup-root", fixtureTree("cgroup-v2").path])
        defer { daemon.stop() }
        #expect(try get(daemon.port, "/metrics").status == 401)
        #expect(try get(daemon.port, "/metrics", headers: "Authorization: Bearer nope\r\n").status == 401)
        #expect(try get(daemon.port, "/healthz").status == 200)
        let auth = "Authorization: Bearer metrics-scrape-token-0123\r\nAccept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5\r\n"
        let first = try get(daemon.port, "/metrics", headers: auth)
        #expect(first.status == 200)
        #expect(first.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        #expect(first.body.contains("\n# TYPE node_cpu_seconds_total counter\n"))
        #expect(first.body.contains(#"procstream_source_up{source="memory"} 1"#))
        #expect(first.body.hasSuffix("\n"))
        let head = try get(daemon.port, "/metrics", method: "HEAD", headers: auth)
        #expect(head.status == 200 && head.body.isEmpty && Int(head.headers["content-length"] ?? "") ?? 0 > 1000)
        #expect(try get(daemon.port, "/metrics", method: "POST", headers: auth).status == 405)
        // The scrape asked for the per-unit view: it is in the next ticks' bodies.
        usleep(600_000)
        let later = try get(daemon.port, "/metrics", headers: auth).body
        #expect(later.contains(#"procstream_unit_memory_bytes{unit="nginx.service",slice="system.slice"} "#))
        #expect(later.contains(#"procstream_source_up{source="units"} 1"#))
        #expect(!later.contains(#"procstream_unit_memory_bytes{unit="no-memory.service""#))
    }

    @Test func scrapesWithinATickShareOneRender() throws {
        let daemon = try Daemon(["--interval", "5"])
        defer { daemon.stop() }
        let a = try get(daemon.port, "/metrics").body
        let b = try get(daemon.port, "/metrics").body
        let time = { (s: String) in s.split(separator: "\n").first { $0.hasPrefix("node_time_seconds ") } }
        #expect(time(a) != nil && time(a) == time(b))
        #expect(a == b)
    }
}
