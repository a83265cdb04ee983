import CLinux
import Glibc

/// A raw file descriptor. Ownership is the holder's job: whoever opened it calls `close()` once.
public struct FileDescriptor: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: CInt

    public init(rawValue: CInt) { self.rawValue = rawValue }

    public var description: String { "fd \(rawValue)" }

    /// Closes the descriptor. EINTR on close is not retried: on Linux the fd is gone either way.
    public func close() {
        _ = Glibc.close(rawValue)
    }

    public func setNonBlocking() throws(SyscallError) {
        let flags = try check("fcntl(F_GETFL)") { clinux_fcntl_getfl(rawValue) }
        if flags & O_NONBLOCK != 0 { return }
        _ = try check("fcntl(F_SETFL)") { clinux_fcntl_setfl(rawValue, flags | O_NONBLOCK) }
    }

    public func setCloseOnExec() throws(SyscallError) {
        let flags = try check("fcntl(F_GETFD)") { clinux_fcntl_getfd(rawValue) }
        if flags & FD_CLOEXEC != 0 { return }
        _ = try check("fcntl(F_SETFD)") { clinux_fcntl_setfd(rawValue, flags | FD_CLOEXEC) }
    }

    /// Reads up to `count` bytes at the end of `buffer`. `.done(0)` is end of file.
    public func read(appendingTo buffer: inout [UInt8], count: Int) throws(SyscallError) -> IOResult<Int> {
        let start = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: count))
        let fd = rawValue
        let result = buffer.withUnsafeMutableBytes { raw in
            Result { () throws(SyscallError) -> IOResult<Int> in
                try checkNonBlocking("read") { Glibc.read(fd, raw.baseAddress! + start, count) }
            }
        }
        guard case .success(let outcome) = result else {
            buffer.removeLast(count)
            if case .failure(let error) = result { throw error }
            fatalError("unreachable")
        }
        switch outcome {
        case .done(let n): buffer.removeLast(count - n)
        case .wouldBlock: buffer.removeLast(count)
        }
        return outcome
    }

    /// Writes bytes; on a non-blocking fd a full buffer is `.wouldBlock`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(SyscallError) -> IOResult<Int> {
        try checkNonBlocking("write") { Glibc.write(rawValue, bytes.baseAddress, bytes.count) }
    }

    /// Reads exactly one 8-byte counter (timerfd, eventfd).
    public func readCounter() throws(SyscallError) -> IOResult<UInt64> {
        var value: UInt64 = 0
        let n = try checkNonBlocking("read") { Glibc.read(rawValue, &value, 8) }
        switch n {
        case .done: return .done(value)
        case .wouldBlock: return .wouldBlock
        }
    }
}

func clinuxOpen(_ path: String) -> CInt { clinux_open_readonly(path) }
