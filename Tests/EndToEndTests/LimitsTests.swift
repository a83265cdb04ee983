import Foundation
import Glibc
import Testing

/// Limits, access control and listeners against the real daemon.
@Suite(.serialized) struct LimitsTests {
    @Test func tokenIsRequiredAndNeverLogged() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("procstream-token-\(UUID())")
        try "correct-horse-battery-staple\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let daemon = try Daemon(["--token-file", file.path])
        defer { daemon.stop() }
        func get(_ path: String, _ extra: String = "") throws -> Int? {
            let c = try Client(port: daemon.port)
            c.send("GET \(path) HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\(extra)\r\n")
            c.readToEOF(timeout: 2)
            return responseHead(c.text)?.status
        }
        #expect(try get("/snapshot") == 401)
        #expect(try get("/events") == 401)
        #expect(try get("/snapshot", "Authorization: Bearer wrong-horse-battery-staple\r\n") == 401)
        #expect(try get("/snapshot", "Authorization: Bearer correct-horse-battery-staple\r\n") == 200)
        #expect(try get("/healthz") == 200)
        #expect(try get("/?token=correct-horse-battery-staple") == 303)
        #expect(try get("/", "Cookie: procstream_token=correct-horse-battery-staple\r\n") == 200)
        daemon.stop()
        #expect(!daemon.log.contains("correct-horse"))
        #expect(daemon.log.contains("token required"))
    }

    @Test func weakOrMissingTokenFileRefusesToStart() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: daemonBinary())
        p.arguments = ["--listen", "127.0.0.1:0", "--token-file", "/nonexistent/token"]
        let err = Pipe()
        p.standardError = err
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 1)
        #expect(String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).contains("--token-file /nonexistent/token"))
    }

    @Test func unixSocketListener() throws {
        let path = "/tmp/procstream-e2e-\(getpid()).sock"
        let daemon = try Daemon([], listen: "unix:\(path)")
        let c = try Client(unixPath: path)
        c.send("GET /snapshot HTTP/1.0\r\n\r\n")
        #expect(c.readToEOF(timeout: 2))
        #expect(responseHead(c.text)?.status == 200)
        daemon.stop()
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func connectionLimitAnswers503AtOnce() throws {
        let daemon = try Daemon(["--max-clients", "2", "--max-connections", "4"])
        defer { daemon.stop() }
        var held: [Client] = []
        for i in 0..<4 {
            let c = try Client(port: daemon.port)
            if i < 2 {   // two subscribers, two connections that have not sent a request yet
                c.send("GET /events HTTP/1.1\r\nHost: h\r\n\r\n")
                c.read(until: { $0.contains("HTTP/1.1") }, timeout: 2)
            }
            held.append(c)
        }
        usleep(100_000)
        let extra = try Client(port: daemon.port)
        #expect(extra.readToEOF(timeout: 2))
        #expect(responseHead(extra.text)?.status == 503)
        try daemon.waitFor("connection limit (4) reached", timeout: 3)
        held.removeAll()
        // Freed: accepted again.
        usleep(200_000)
        let again = try Client(port: daemon.port)
        again.send("GET /healthz HTTP/1.0\r\n\r\n")
        #expect(again.readToEOF(timeout: 2))
        #expect(responseHead(again.text)?.status == 200)
    }

    @Test func slowHeadIsCutOffAtTheTimeout() throws {
        let daemon = try Daemon(["--request-timeout", "1"])
        defer { daemon.stop() }
        let c = try Client(port: daemon.port)
        let start = Date()
        c.send("GET /events HTTP/1.1\r\nHost: h\r\n")   // never finishes the head
        #expect(c.readToEOF(timeout: 4))
        let took = Date().timeIntervalSince(start)
        #expect(took >= 0.9 && took < 2.5, "cut after \(took) s")
        #expect(responseHead(c.text)?.status == 408)
        let idle = try Client(port: daemon.port)   // says nothing at all: closed silently
        #expect(idle.readToEOF(timeout: 4))
        #expect(idle.text.isEmpty)
    }

    @Test func subscriberThatStopsReadingIsDroppedAndOthersKeepTheirTiming() throws {
        let daemon = try Daemon(["--interval", "0.01", "--max-queued-kib", "16"])
        defer { daemon.stop() }
        let stuck = try Client(port: daemon.port, receiveBuffer: 4096)
        stuck.send("GET /events HTTP/1.1\r\nHost: h\r\n\r\n")
        let live = try Client(port: daemon.port)
        live.send("GET /events HTTP/1.1\r\nHost: h\r\n\r\n")
        // The stuck one never reads: its socket fills, then 16 KiB queue, then it is dropped.
        try daemon.waitFor("stopped reading", timeout: 20)
        live.read(until: { parseEvents($0).events.count >= 150 }, timeout: 5)
        let ids = parseEvents(live.text).events.compactMap { $0.id.flatMap(UInt64.init) }
        #expect(ids.count >= 150)
        #expect(zip(ids, ids.dropFirst()).allSatisfy { $1 == $0 + 1 }, "live subscriber lost events")
        #expect(stuck.readToEOF(timeout: 5))   // after draining what was buffered, it is closed
    }

    @Test func runningOutOfDescriptorsIsSurvived() throws {
        // Hard limit 40: after the daemon's own descriptors, only a couple of dozen clients fit.
        let daemon = try Daemon(["--interval", "0.1"], descriptorLimit: 40)
        defer { daemon.stop() }
        let live = try Client(port: daemon.port)
        live.send("GET /events HTTP/1.1\r\nHost: h\r\n\r\n")
        live.read(until: { parseEvents($0).events.count >= 1 }, timeout: 2)
        var flood: [Client] = []
        for _ in 0..<80 { if let c = try? Client(port: daemon.port) { flood.append(c) } }
        try daemon.waitFor("not accepting for now", timeout: 3)
        // The loop neither dies nor spins: the live subscriber keeps getting events.
        let before = parseEvents(live.text).events.count
        live.read(until: { parseEvents($0).events.count >= before + 10 }, timeout: 3)
        #expect(parseEvents(live.text).events.count >= before + 10)
        flood.removeAll()
        // Descriptors free up: new connections are served again.
        var served = false
        let deadline = Date().addingTimeInterval(5)
        while !served && Date() < deadline {
            if let c = try? Client(port: daemon.port) {
                c.send("GET /healthz HTTP/1.0\r\n\r\n")
                c.readToEOF(timeout: 1)
                served = responseHead(c.text)?.status == 200
            }
            if !served { usleep(100_000) }
        }
        #expect(served)
        #expect(daemon.process.isRunning)
    }
}
