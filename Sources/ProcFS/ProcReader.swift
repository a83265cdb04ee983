import Posix
import ProcParsers

/// Reads /proc files under a root directory (`/proc`, or a captured tree in tests) into one
/// reusable buffer and hands the bytes to the pure parsers.
public struct ProcReader {
    public let root: String
    private let buffer = ReadBuffer(capacity: 64 * 1024)
    /// Under the live /proc, each file's descriptor stays open and is read with pread (a
    /// /proc file renders anew at offset 0): one syscall a file a tick instead of three. A
    /// captured tree is opened afresh each time, so a test that deletes a file sees it gone.
    private let kept: KeptDescriptors?

    /// Caps per file: /proc/net/tcp grows with the socket count (about 150 bytes a socket), the
    /// rest are small. A file over its cap is an error, never unbounded memory.
    public static let smallFileLimit = 1 << 20
    public static let socketTableLimit = 64 << 20

    public init(root: String, keepOpen: Bool? = nil) {
        self.root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
        kept = keepOpen ?? (self.root == "/proc") ? KeptDescriptors() : nil
    }

    /// Reads `name` under the root and parses it. A read failing with one of `absentErrors`
    /// means the file is not there on this kernel (ENOENT for net/tcp6 without IPv6; ENOENT or
    /// EOPNOTSUPP for /proc/pressure without PSI): `nil`, not an error.
    public mutating func read<T>(_ name: String, limit: Int = smallFileLimit, absentErrors: [Int32] = [],
                                 _ parse: (UnsafeRawBufferPointer) throws(ParseError) -> T) -> Result<T?, SourceError> {
        do {
            if let kept { try kept.read(name, under: root, into: buffer, limit: limit) } else {
                try Files.read(path: root + "/" + name, into: buffer, limit: limit)
            }
        } catch {
            if absentErrors.contains(error.code) { return .success(nil) }
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

    /// The TCP counters of net/snmp (CurrEstab and those that mark a connection's start and end).
    public mutating func snmpTCP() -> Result<SnmpTCP, SourceError> {
        required("net/snmp") { (b) throws(ParseError) in try Parse.snmpTCP(b) }
    }

    /// net/sockstat's `TCP:` line: IPv4 sockets in the hash tables, and time-wait mini-sockets.
    public mutating func sockstatTCP() -> Result<SockstatTCP, SourceError> {
        required("net/sockstat") { (b) throws(ParseError) in try Parse.sockstatTCP(b) }
    }

    /// net/sockstat6's `TCP6:` line: IPv6 sockets in the hash tables; nil without IPv6.
    public mutating func sockstat6TCP() -> Result<SockstatTCP?, SourceError> {
        read("net/sockstat6", absentErrors: [2 /* ENOENT */]) { (b) throws(ParseError) in
            try Parse.sockstatTCP(b, file: "net/sockstat6", line: "TCP6:")
        }
    }

    /// TCP sockets by state from net/tcp and net/tcp6; a missing tcp6 means no IPv6.
    public mutating func tcpStates() -> Result<TCPStates, SourceError> {
        var states = TCPStates()
        let v4 = read("net/tcp", limit: Self.socketTableLimit) { (b) throws(ParseError) in
            try Parse.netTCP(b, into: &states, file: "net/tcp")
        }
        if case .failure(let e) = v4 { return .failure(e) }
        let v6 = read("net/tcp6", limit: Self.socketTableLimit, absentErrors: [2 /* ENOENT */]) { (b) throws(ParseError) in
            try Parse.netTCP(b, into: &states, file: "net/tcp6")
        }
        if case .failure(let e) = v6 { return .failure(e) }
        return .success(states)
    }
}

/// Descriptors kept open across reads, by name under the root, shared by copies of a reader.
final class KeptDescriptors {
    private var fds: [String: FileDescriptor] = [:]

    deinit { for fd in fds.values { fd.close() } }

    func read(_ name: String, under root: String, into buffer: ReadBuffer, limit: Int) throws(SyscallError) {
        if let fd = fds[name] {
            do { try Files.read(fd, path: name, into: buffer, limit: limit); return } catch {
                fds.removeValue(forKey: name)?.close()   // try once more with a fresh descriptor
            }
        }
        let path = root + "/" + name
        let fd = try Files.open(path)
        do { try Files.read(fd, path: path, into: buffer, limit: limit) } catch {
            fd.close()
            throw error
        }
        fds[name] = fd
    }
}
