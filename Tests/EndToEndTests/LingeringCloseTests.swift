import Foundation
import Glibc
import Testing

/// After an error response the daemon half-closes and drains what the client still sends
/// before closing: closing a socket with unread input sends an RST, which can destroy the
/// response in flight (the client reads ECONNRESET instead of the 4xx).
@Suite(.serialized) struct LingeringCloseTests {
    static let junk = [UInt8](repeating: 0x78, count: 48 * 1024)

    /// Sends `request` with junk behind it in one write, so the daemon has unread input when it
    /// is done with the response, then checks the client gets the whole response and a clean
    /// EOF, and can still send for a moment without a reset.
    func expectCleanClose(_ c: Client, _ request: String, status: Int) {
        let sent = c.sendBytes(Array(request.utf8) + Self.junk)
        #expect(sent)
        let closed = c.readToEOF(timeout: 3)
        #expect(closed)
        #expect(c.receiveError == 0, "recv failed with errno \(c.receiveError) (reset) after \(c.buffer.count) bytes")
        #expect(responseHead(c.text)?.status == status, "got: \(c.text.prefix(200))")
        #expect(c.text.contains("Connection: close"))
        // The daemon is still draining: more input is taken, not answered with a reset.
        let more = c.sendBytes(Self.junk)
        #expect(more, "the daemon reset the connection instead of draining it")
    }

    @Test func malformedRequestWithMoreInputBehindItGetsItsResponseAndAFin() throws {
        let daemon = try Daemon([])
        defer { daemon.stop() }
        expectCleanClose(try Client(port: daemon.port), "GET / HTTP/1.1\r\nBad Header\r\n\r\n", status: 400)
        expectCleanClose(try Client(port: daemon.port), "GET /snapshot HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\n", status: 413)
        expectCleanClose(try Client(port: daemon.port), "GET /nope HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", status: 404)
    }

    @Test func refusedOverTheConnectionLimitGets503AndAFin() throws {
        let daemon = try Daemon(["--max-clients", "1", "--max-connections", "1"])
        defer { daemon.stop() }
        let held = try Client(port: daemon.port)
        held.send("GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n")   // keep-alive: stays open
        held.read(until: { $0.contains("\"status\"") }, timeout: 2)
        expectCleanClose(try Client(port: daemon.port), "GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n", status: 503)
        withExtendedLifetime(held) {}
    }

    @Test func lingeringIsBoundedInTime() throws {
        let daemon = try Daemon([])
        defer { daemon.stop() }
        let baseline = daemon.openDescriptors
        let c = try Client(port: daemon.port)
        #expect(c.sendBytes(Array("GET / HTTP/1.1\r\nBad Header\r\n\r\n".utf8)))
        #expect(c.readToEOF(timeout: 2))
        #expect(daemon.openDescriptors == baseline + 1)   // lingering, the client has not closed
        // The client never closes: the daemon lets go within the linger time (2 s) plus its
        // 1 s housekeeping granularity.
        let deadline = Date().addingTimeInterval(4)
        while daemon.openDescriptors > baseline && Date() < deadline { usleep(50_000) }
        #expect(daemon.openDescriptors == baseline)
        withExtendedLifetime(c) {}
    }
}
