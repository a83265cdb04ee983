import Posix

/// A source that could not be read or parsed, named the way events and logs name it.
public struct SourceError: Error, Equatable, Sendable, CustomStringConvertible {
    public let source: String
    public let message: String

    public init(source: String, message: String) {
        self.source = source
        self.message = message
    }

    public var description: String { "\(source): \(message)" }
}

/// Reads /proc files under a root directory (`/proc`, or a captured tree in tests) into one
/// reusable buffer and hands the bytes to the pure parsers.
public struct ProcReader {
    public let root: String
    private let buffer = ReadBuffer(capacity: 64 * 1024)

    /// Caps per file: /proc/net/tcp grows with the socket count (about 150 bytes a socket), the
    /// rest are small. A file over its cap is an error, never unbounded memory.
    public static let smallFileLimit = 1 << 20
    public static let socketTableLimit = 64 << 20

    public init(root: String) {
        self.root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
    }

    /// Reads `name` under the root and parses it. `missingIsAbsent`: a missing file is `nil`
    /// rather than an error (net/tcp6 on a host without IPv6).
    private mutating func read<T>(_ name: String, limit: Int = smallFileLimit, missingIsAbsent: Bool = false,
                                  _ parse: (UnsafeRawBufferPointer) throws(ParseError) -> T) -> Result<T?, SourceError> {
        do {
            try Files.read(path: root + "/" + name, into: buffer, limit: limit)
        } catch {
            if missingIsAbsent && error.code == 2 /* ENOENT */ { return .success(nil) }
            return .failure(SourceError(source: name, message: error.description))
        }
        defer { buffer.shrink(to: 1 << 20) }   // don't keep a huge socket table's memory
        do {
            return .success(try parse(buffer.bytes))
        } catch {
            return .failure(SourceError(source: name, message: error.description))
        }
    }

    private mutating func required<T>(_ name: String, _ parse: (UnsafeRawBufferPointer) throws(ParseError) -> T) -> Result<T, SourceError> {
        read(name) { (b) throws(ParseError) in try parse(b) }.map { $0! }
    }

    public mutating func stat() -> Result<CPUStat, SourceError> {
        required("stat") { (b) throws(ParseError) in try Parse.stat(b) }
    }

    public mutating func meminfo() -> Result<MemInfo, SourceError> {
        required("meminfo") { (b) throws(ParseError) in try Parse.meminfo(b) }
    }

    public mutating func loadavg() -> Result<LoadAvg, SourceError> {
        required("loadavg") { (b) throws(ParseError) in try Parse.loadavg(b) }
    }

    public mutating func uptime() -> Result<Double, SourceError> {
        required("uptime") { (b) throws(ParseError) in try Parse.uptime(b) }
    }

    /// The kernel's CurrEstab counter (net/snmp).
    public mutating func currEstab() -> Result<UInt64, SourceError> {
        required("net/snmp") { (b) throws(ParseError) in try Parse.snmpCurrEstab(b) }
    }

    /// TIME_WAIT sockets (net/sockstat `tw`).
    public mutating func timeWait() -> Result<UInt64, SourceError> {
        required("net/sockstat") { (b) throws(ParseError) in try Parse.sockstatTimeWait(b) }
    }

    /// TCP sockets by state from net/tcp and net/tcp6; a missing tcp6 means no IPv6.
    public mutating func tcpStates() -> Result<TCPStates, SourceError> {
        var states = TCPStates()
        let v4 = read("net/tcp", limit: Self.socketTableLimit) { (b) throws(ParseError) in
            try Parse.netTCP(b, into: &states, file: "net/tcp")
        }
        if case .failure(let e) = v4 { return .failure(e) }
        let v6 = read("net/tcp6", limit: Self.socketTableLimit, missingIsAbsent: true) { (b) throws(ParseError) in
            try Parse.netTCP(b, into: &states, file: "net/tcp6")
        }
        if case .failure(let e) = v6 { return .failure(e) }
        return .success(states)
    }
}
