/// NETLINK_SOCK_DIAG (inet_diag, see sock_diag(7)): the kernel's own socket listing in binary
/// form. Counting TCP states this way is much cheaper than rendering and parsing /proc/net/tcp
/// text, which matters with tens of thousands of sockets. Building requests and parsing
/// replies are pure; `SockDiagReader` (in ProcFS) does the I/O.
public enum SockDiag {
    /// TCPDIAG_GETSOCK, the original inet_diag request: its dump walks the kernel's socket hash
    /// once for IPv4 and IPv6 together (the family is ignored), where SOCK_DIAG_BY_FAMILY walks
    /// it once per family. The walk is most of the cost on a quiet host.
    static let tcpDiagGetSock: UInt16 = 18
    static let nlmsgError: UInt16 = 2
    static let nlmsgDone: UInt16 = 3
    static let requestFlags: UInt16 = 0x01 | 0x300  // NLM_F_REQUEST | NLM_F_DUMP
    public static let allStates: UInt32 = 0xFFF << 1  // TCP states 1...12

    /// A dump request for every TCP socket, IPv4 and IPv6, in the states given (a bit per
    /// state, bit 1 = ESTABLISHED): an nlmsghdr and a `struct inet_diag_req`.
    public static func request(sequence: UInt32, states: UInt32 = allStates) -> [UInt8] {
        var b: [UInt8] = []
        b.reserveCapacity(76)
        func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { b.append(contentsOf: $0) } }
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { b.append(contentsOf: $0) } }
        u32(76); u16(tcpDiagGetSock); u16(requestFlags); u32(sequence); u32(0)   // nlmsghdr
        b.append(2); b.append(0); b.append(0); b.append(0)                         // family, src_len, dst_len, ext
        b.append(contentsOf: repeatElement(0, count: 48))                          // inet_diag_sockid: any
        u32(states)
        u32(0)                                                                     // idiag_dbs
        return b
    }

    public enum Progress: Equatable {
        case more
        case done
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case malformed(String)
        /// NLMSG_ERROR: the kernel's errno.
        case kernel(Int32)

        public var description: String {
            switch self {
            case .malformed(let why): return "sock_diag reply: \(why)"
            case .kernel(let code): return "sock_diag: kernel refused the dump (errno \(code))"
            }
        }
    }

    /// Counts the sockets in one reply datagram into `states`. Malformed messages, a sequence
    /// number that is not ours, or an NLMSG_ERROR (carrying -errno) are errors.
    public static func parse(_ bytes: UnsafeRawBufferPointer, sequence: UInt32, into states: inout TCPStates) throws(Failure) -> Progress {
        var offset = 0
        func fail(_ message: String) -> Failure { .malformed(message) }
        while offset + 16 <= bytes.count {
            let length = Int(bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian)
            let type = bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt16.self).littleEndian
            let seq = bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self).littleEndian
            guard length >= 16, offset + length <= bytes.count else { throw fail("truncated message (length \(length))") }
            guard seq == sequence else { throw fail("reply for sequence \(seq), expected \(sequence)") }
            switch type {
            case nlmsgDone:
                return .done
            case nlmsgError:
                // nlmsgerr.error is -errno; wrapping negation, as a hostile Int32.min must not trap.
                let code = length >= 20 ? 0 &- bytes.loadUnaligned(fromByteOffset: offset + 16, as: Int32.self).littleEndian : 0
                throw Failure.kernel(code)
            case tcpDiagGetSock:
                guard length >= 16 + 2 else { throw fail("short inet_diag_msg") }
                let state = bytes[offset + 17]
                guard states.add(state: UInt64(state)) else { throw fail("unknown TCP state \(state)") }
                // idiag_timer 3 marks a time-wait mini-socket (inet_twsk_diag_fill).
                if state == 5 && length >= 16 + 3 && bytes[offset + 18] == 3 { states.finWait2MiniSockets += 1 }
            default:
                break   // NLMSG_NOOP and friends
            }
            offset += (length + 3) & ~3
        }
        if offset < bytes.count { throw fail("\(bytes.count - offset) trailing bytes") }
        return .more
    }
}
