import CLinux
import Glibc

/// An errno value with the name of the call that produced it.
public struct SyscallError: Error, Equatable, CustomStringConvertible {
    public let call: String
    public let code: CInt

    public init(_ call: String, _ code: CInt) {
        self.call = call
        self.code = code
    }

    public var description: String {
        "\(call): \(String(cString: strerror(code))) (errno \(code))"
    }
}

/// What a non-blocking operation did: finished with a value, or would have had to wait.
public enum IOResult<Value: Equatable>: Equatable {
    case done(Value)
    case wouldBlock
}

/// Runs `body` (a raw syscall returning -1 on failure), retrying on EINTR and throwing anything
/// else as a `SyscallError` named after `call`. `call` is built only on failure (an
/// interpolated name would otherwise allocate on every syscall).
@inline(__always)
func check<T: BinaryInteger>(_ call: @autoclosure () -> String, _ body: () -> T) throws(SyscallError) -> T {
    while true {
        let result = body()
        if result != -1 { return result }
        let code = clinux_errno()
        if code == EINTR { continue }
        throw SyscallError(call(), code)
    }
}

/// Like `check`, but EAGAIN/EWOULDBLOCK become `.wouldBlock` rather than an error.
@inline(__always)
func checkNonBlocking<T: BinaryInteger>(_ call: @autoclosure () -> String, _ body: () -> T) throws(SyscallError) -> IOResult<T> {
    while true {
        let result = body()
        if result != -1 { return .done(result) }
        let code = clinux_errno()
        if code == EINTR { continue }
        if code == EAGAIN || code == EWOULDBLOCK { return .wouldBlock }
        throw SyscallError(call(), code)
    }
}
