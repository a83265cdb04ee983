import Foundation
import Glibc
import Testing

/// The procstreamd binary built beside this test bundle (or $PROCSTREAMD_BIN).
func daemonBinary() -> String {
    if let path = ProcessInfo.processInfo.environment["PROCSTREAMD_BIN"] { return path }
    let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var dir = exe.deletingLastPathComponent()
    // Inside an .xctest bundle directory on some layouts.
    if dir.lastPathComponent.hasSuffix(".xctest") { dir = dir.deletingLastPathComponent() }
    return dir.appendingPathComponent("procstreamd").path
}

struct TestError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// A procstreamd process started by a test, on an ephemeral loopback port, stopped by PID.
final class Daemon: @unchecked Sendable {
    let process = Process()
    private let stderrPipe = Pipe()
    private(set) var port: UInt16 = 0
    private let lock = NSLock()
    private var stderrText = ""

    /// `descriptorLimit`: run under that hard RLIMIT_NOFILE (through prlimit(1)).
    init(_ arguments: [String] = [], environment: [String: String] = [:], listen: String = "127.0.0.1:0",
         descriptorLimit: Int? = nil) throws {
        if let limit = descriptorLimit {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
            process.arguments = ["--nofile=\(limit):\(limit)", daemonBinary(), "--listen", listen] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: daemonBinary())
            process.arguments = ["--listen", listen] + arguments
        }
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "NOTIFY_SOCKET")
        env.removeValue(forKey: "JOURNAL_STREAM")
        env.removeValue(forKey: "LISTEN_FDS")
        env.removeValue(forKey: "LISTEN_PID")
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardError = stderrPipe
        process.standardOutput = FileHandle.nullDevice
        stderrPipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.lock()
            self.stderrText += String(decoding: data, as: UTF8.self)
            self.lock.unlock()
        }
        try process.run()
        // Readiness: the daemon logs "ready" once it listens and has its first snapshot.
        try waitFor(" ready: ", timeout: 10)
        if let line = log.split(separator: "\n").first(where: { $0.contains("listening on 127.0.0.1:") || $0.contains("listening on [::1]:") }),
           let colon = line.lastIndex(of: ":"), let p = UInt16(line[line.index(after: colon)...]) {
            port = p
        }
    }

    var pid: pid_t { process.processIdentifier }

    var log: String {
        lock.lock(); defer { lock.unlock() }
        return stderrText
    }

    func waitFor(_ text: String, timeout: Double) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !log.contains(text) {
            if !process.isRunning { throw TestError("daemon exited (\(process.terminationStatus)) before '\(text)': \(log)") }
            if Date() > deadline { throw TestError("timed out waiting for '\(text)' in: \(log)") }
            usleep(10_000)
        }
    }

    /// Descriptors the daemon holds, not counting the /proc file a collection may have open
    /// at the moment of looking.
    var openDescriptors: Int {
        let dir = "/proc/\(pid)/fd"
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return -1 }
        return entries.filter { entry in
            let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(dir)/\(entry)")) ?? ""
            return !target.hasPrefix("/proc/") && !target.contains("procstream-e2e-")
        }.count
    }

    /// SIGTERM and wait; returns the exit status and how long the exit took.
    @discardableResult
    func stop(timeout: Double = 5) -> (status: Int32, seconds: Double) {
        guard process.isRunning else { return (process.terminationStatus, 0) }
        let start = Date()
        kill(pid, SIGTERM)
        while process.isRunning && Date().timeIntervalSince(start) < timeout { usleep(5_000) }
        if process.isRunning { kill(pid, SIGKILL); process.waitUntilExit() }
        process.waitUntilExit()
        stderrPipe.fileHandleForReading.readabilityHandler = nil
        // Under the sanitizer run (README), the daemon's own reports land in its stderr.
        #expect(!log.contains("AddressSanitizer") && !log.contains("LeakSanitizer"), "sanitizer report: \(log)")
        return (process.terminationStatus, Date().timeIntervalSince(start))
    }

    deinit { if process.isRunning { kill(pid, SIGKILL); process.waitUntilExit() } }
}

func unixAddress(_ path: String) -> sockaddr_un {
    var addr = sockaddr_un()
    addr.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &addr.sun_path) { dst in
        let bytes = Array(path.utf8)
        dst.copyBytes(from: bytes)
        dst[bytes.count] = 0
    }
    return addr
}

/// A blocking loopback TCP client with deadlines, for speaking raw HTTP to the daemon.
final class Client {
    let fd: Int32
    var buffer: [UInt8] = []
    /// errno of the last failed recv (ECONNRESET: the peer reset the connection), 0 if none.
    private(set) var receiveError: Int32 = 0

    init(unixPath: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = unixAddress(unixPath)
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        if rc != 0 { Glibc.close(fd); throw TestError("connect to \(unixPath) failed: errno \(errno)") }
    }

    init(port: UInt16, host: String = "127.0.0.1", receiveBuffer: Int32? = nil) throws {
        let v6 = host.contains(":")
        fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, 4)
        }
        var rc: Int32
        if v6 {
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            inet_pton(AF_INET6, host, &sin6.sin6_addr)
            rc = withUnsafePointer(to: &sin6) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        } else {
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            inet_pton(AF_INET, host, &sin.sin_addr)
            rc = withUnsafePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        }
        if rc != 0 { Glibc.close(fd); throw TestError("connect to \(host):\(port) failed: errno \(errno)") }
    }

    deinit { Glibc.close(fd) }

    func send(_ text: String) { sendBytes(Array(text.utf8)) }

    /// Sends all of `bytes`; false if the connection refused them (EPIPE, ECONNRESET).
    @discardableResult
    func sendBytes(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { b in
            var off = 0
            while off < b.count {
                let n = Glibc.send(fd, b.baseAddress! + off, b.count - off, Int32(MSG_NOSIGNAL))
                if n <= 0 { return false }
                off += n
            }
            return true
        }
    }

    /// Reads whatever arrives within `timeout` seconds, at most `maxBytes` (returns early on
    /// EOF). False on EOF.
    @discardableResult
    func read(timeout: Double, maxBytes: Int = 65536) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, Int32(timeout * 1000)) > 0 else { return true }
        var chunk = [UInt8](repeating: 0, count: maxBytes)
        let n = recv(fd, &chunk, chunk.count, 0)
        if n < 0 { receiveError = errno }
        if n <= 0 { return false }
        buffer.append(contentsOf: chunk[..<n])
        return true
    }

    /// Reads until `predicate` holds on the text so far, or the deadline passes, or EOF.
    @discardableResult
    func read(until predicate: (String) -> Bool, timeout: Double) -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while !predicate(text), Date() < deadline {
            if !read(timeout: max(0.001, deadline.timeIntervalSinceNow)) { break }
        }
        return text
    }

    /// Reads until the peer closes (or the deadline). True if it closed.
    func readToEOF(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if !read(timeout: max(0.001, deadline.timeIntervalSinceNow)) { return true }
        }
        return false
    }

    var text: String { String(decoding: buffer, as: UTF8.self) }
}

/// One parsed SSE event.
struct SSEEvent {
    var id: String?
    var event = "message"
    var data = ""
    var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any] }
}

/// Decodes an HTTP/1.1 chunked body (RFC 9112 §7.1) strictly: every chunk's size line must
/// be hex, its data exactly that long and followed by CRLF. An incomplete last chunk is left
/// out. `ended`: the last chunk (`0\r\n\r\n`) arrived.
func dechunk(_ bytes: ArraySlice<UInt8>) -> (body: [UInt8], ended: Bool, malformed: String?) {
    var body: [UInt8] = []
    var i = bytes.startIndex
    while true {
        guard let lf = bytes[i...].firstIndex(of: 0x0a) else { return (body, false, nil) }
        guard lf > i, bytes[lf - 1] == 0x0d, let size = Int(String(decoding: bytes[i..<(lf - 1)], as: UTF8.self), radix: 16) else {
            return (body, false, "bad chunk size line at byte \(i - bytes.startIndex): \(String(decoding: bytes[i..<lf], as: UTF8.self).debugDescription)")
        }
        let start = lf + 1
        if size == 0 {
            if bytes.endIndex - start < 2 { return (body, false, nil) }
            return (body, bytes[start] == 0x0d && bytes[start + 1] == 0x0a, bytes.endIndex - start > 2 ? "bytes after the last chunk" : nil)
        }
        guard bytes.endIndex - start >= size + 2 else { return (body, false, nil) }
        guard bytes[start + size] == 0x0d, bytes[start + size + 1] == 0x0a else { return (body, false, "chunk of \(size) bytes not followed by CRLF") }
        body.append(contentsOf: bytes[start..<(start + size)])
        i = start + size + 2
    }
}

/// The body after the response head: de-chunked when the head says chunked (a malformed
/// chunk fails the test).
func responseBody(_ text: String) -> (body: String, ended: Bool)? {
    guard let end = text.range(of: "\r\n\r\n"), let head = responseHead(text) else { return nil }
    let raw = text[end.upperBound...]
    guard head.headers["transfer-encoding"]?.lowercased() == "chunked" else { return (String(raw), false) }
    let decoded = dechunk(ArraySlice(Array(raw.utf8)))
    if let why = decoded.malformed { Issue.record("malformed chunked body: \(why)") }
    return (String(decoding: decoded.body, as: UTF8.self), decoded.ended)
}

/// Parses the SSE body after the response head (per the WHATWG rules the daemon follows).
func parseEvents(_ text: String) -> (events: [SSEEvent], comments: [String], retry: Int?) {
    guard let body = responseBody(text)?.body else { return ([], [], nil) }
    var events: [SSEEvent] = [], comments: [String] = []
    var retry: Int?
    var current = SSEEvent()
    var hasData = false
    var lines = body.components(separatedBy: "\n")
    lines.removeLast()   // incomplete tail
    for line in lines {
        if line.isEmpty {
            if hasData { events.append(current) }
            current = SSEEvent(); hasData = false
        } else if line.hasPrefix(":") {
            comments.append(String(line.dropFirst()).trimmingCharacters(in: .whitespaces))
        } else if let colon = line.firstIndex(of: ":") {
            let field = String(line[..<colon])
            var value = String(line[line.index(after: colon)...])
            if value.hasPrefix(" ") { value.removeFirst() }
            switch field {
            case "id": current.id = value
            case "event": current.event = value
            case "data": current.data += (hasData ? "\n" : "") + value; hasData = true
            case "retry": retry = Int(value)
            default: break
            }
        }
    }
    return (events, comments, retry)
}

/// The status code and headers of a response at the start of `text`.
func responseHead(_ text: String) -> (status: Int, headers: [String: String])? {
    guard let end = text.range(of: "\r\n\r\n") else { return nil }
    let lines = text[..<end.lowerBound].components(separatedBy: "\r\n")
    let parts = lines[0].split(separator: " ")
    guard parts.count >= 2, let status = Int(parts[1]) else { return nil }
    var headers: [String: String] = [:]
    for line in lines.dropFirst() {
        if let colon = line.firstIndex(of: ":") {
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
    }
    return (status, headers)
}

/// A captured proc tree under Tests/ProcFSTests/Fixtures.
func fixtureTree(_ name: String) -> URL {
    URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("ProcFSTests/Fixtures/\(name)")
}

func procFile(_ name: String) -> String { (try? String(contentsOfFile: "/proc/\(name)", encoding: .utf8)) ?? "" }
