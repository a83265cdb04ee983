import Foundation
import Glibc
import Testing

/// HTTP behaviour of the real daemon over real sockets: errors are answered, never hung.
@Suite(.serialized) final class ProtocolTests {
    let daemon: Daemon

    init() throws { daemon = try Daemon(["--interval", "0.5"]) }
    deinit { daemon.stop() }

    func exchange(_ request: String) throws -> (String, closed: Bool) {
        let c = try Client(port: daemon.port)
        c.send(request)
        let closed = c.readToEOF(timeout: 3)
        return (c.text, closed)
    }

    @Test(arguments: [
        ("GET /nope HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", 404),
        ("POST /events HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", 405),
        ("GET / HTTP/1.1\r\n\r\n", 400),
        ("\u{16}\u{03}\u{01}\u{02}\u{00}\u{01}\u{00}\u{01}\u{fc}\u{03}\u{03}", 400),
        ("GET / HTTP/2.0\r\n\r\n", 505),
        ("GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\n\r\n", 414),
        ("GET / HTTP/1.1\r\nHost: h\r\nX: " + String(repeating: "a", count: 9000) + "\r\n\r\n", 431),
        ("GET / HTTP/1.1\r\nHost: h\r\n" + String(repeating: "X-A: b\r\n", count: 100) + "\r\n", 431),
        ("GET /snapshot HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789", 413),
        ("GET /snapshot HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400),
        ("GET /snapshot HTTP/1.1\r\nHost: h\r\nX: a\r\n folded\r\n\r\n", 400),
        ("GET /../../etc/passwd HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", 404),
    ])
    func errorsAreAnsweredAndClosed(_ request: String, _ status: Int) throws {
        let (text, closed) = try exchange(request)
        #expect(responseHead(text)?.status == status, "\(text.prefix(200))")
        #expect(closed)
    }

    @Test func methodNotAllowedCarriesAllow() throws {
        let (text, _) = try exchange("DELETE /snapshot HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
        #expect(responseHead(text)?.headers["allow"] == "GET, HEAD")
    }

    @Test func keepAliveServesSeveralRequestsOnOneConnection() throws {
        let c = try Client(port: daemon.port)
        c.send("GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n")
        c.read(until: { $0.contains("\"status\"") }, timeout: 2)
        c.send("GET /snapshot HTTP/1.1\r\nHost: h\r\n\r\n")
        c.read(until: { $0.contains("collect_us") }, timeout: 2)
        #expect(c.text.components(separatedBy: "HTTP/1.1 200 OK").count == 3)
        // Pipelined, too.
        c.buffer = []
        c.send("GET /healthz HTTP/1.1\r\nHost: h\r\n\r\nGET /healthz HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
        #expect(c.readToEOF(timeout: 3))
        #expect(c.text.components(separatedBy: "HTTP/1.1 200 OK").count == 3)
    }

    @Test func http10Works() throws {
        let (text, closed) = try exchange("GET /snapshot HTTP/1.0\r\n\r\n")
        #expect(responseHead(text)?.status == 200)
        #expect(closed)
        let body = text.components(separatedBy: "\r\n\r\n")[1]
        let o = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        #expect(o?["memory_total"] != nil)
        let c = try Client(port: daemon.port)
        c.send("GET /events HTTP/1.0\r\n\r\n")
        c.read(until: { parseEvents($0).events.count >= 1 }, timeout: 2)
        #expect(parseEvents(c.text).events.count >= 1)
    }

    @Test func headRequests() throws {
        let (text, _) = try exchange("HEAD /snapshot HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
        #expect(responseHead(text)?.status == 200)
        #expect(text.hasSuffix("\r\n\r\n"))
    }

    @Test func healthz() throws {
        let (text, _) = try exchange("GET /healthz HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
        #expect(responseHead(text)?.status == 200)
        #expect(text.contains("\"status\":\"ok\""))
    }

    @Test func byteByByteRequest() throws {
        let c = try Client(port: daemon.port)
        for ch in "GET /healthz HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n".utf8 {
            c.sendBytes([ch])
            usleep(500)
        }
        #expect(c.readToEOF(timeout: 3))
        #expect(responseHead(c.text)?.status == 200)
    }

    @Test func cliErrorsExitNonZeroWithAMessage() throws {
        for (args, needle) in [(["--interval", "0"], "0.01 to 3600"), (["--bogus"], "unknown option"),
                               (["--listen", "nowhere"], "--listen")] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: daemonBinary())
            p.arguments = args
            let err = Pipe()
            p.standardError = err
            try p.run()
            p.waitUntilExit()
            #expect(p.terminationStatus == 2)
            #expect(String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).contains(needle))
        }
    }

    @Test func onceAndVersionAndHelp() throws {
        func run(_ args: [String]) throws -> (Int32, String) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: daemonBinary())
            p.arguments = args
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return (p.terminationStatus, String(decoding: data, as: UTF8.self))
        }
        let (status, json) = try run(["--once"])
        #expect(status == 0)
        let o = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        #expect(o?["cpu"] is Double)
        #expect(try run(["--version"]).1.hasPrefix("procstreamd 0."))
        #expect(try run(["--help"]).1.contains("--proc-root"))
        let (bad, _) = try run(["--once", "--proc-root", "/nonexistent"])
        #expect(bad == 1)
    }

    @Test func bindFailureIsAClearError() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: daemonBinary())
        p.arguments = ["--listen", "127.0.0.1:\(daemon.port)"]
        let err = Pipe()
        p.standardError = err
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 1)
        #expect(String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).contains("Address already in use"))
    }
}
