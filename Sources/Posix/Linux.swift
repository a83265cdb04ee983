import CLinux
import Glibc

/// epoll(7), level-triggered. Each registration carries a 64-bit token chosen by the caller
/// (the loop packs a descriptor and a generation into it, so a stale event is recognisable).
public final class Epoll {
    public let fd: FileDescriptor
    private var events: [epoll_event]

    public struct Interest: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let readable = Interest(rawValue: CLINUX_EPOLLIN)
        public static let writable = Interest(rawValue: CLINUX_EPOLLOUT)
        public static let peerClosed = Interest(rawValue: CLINUX_EPOLLRDHUP)
        public static let error = Interest(rawValue: CLINUX_EPOLLERR)
        public static let hangup = Interest(rawValue: CLINUX_EPOLLHUP)
    }

    public struct Event: Equatable {
        public let token: UInt64
        public let flags: Interest
        public static func == (a: Event, b: Event) -> Bool { a.token == b.token && a.flags.rawValue == b.flags.rawValue }
    }

    public init(capacity: Int = 1024) throws(SyscallError) {
        fd = FileDescriptor(rawValue: try check("epoll_create1") { epoll_create1(CLINUX_EPOLL_CLOEXEC) })
        events = Array(repeating: epoll_event(), count: capacity)
    }

    public func add(_ target: FileDescriptor, _ interest: Interest, token: UInt64) throws(SyscallError) {
        try control(EPOLL_CTL_ADD, target, interest, token)
    }

    public func modify(_ target: FileDescriptor, _ interest: Interest, token: UInt64) throws(SyscallError) {
        try control(EPOLL_CTL_MOD, target, interest, token)
    }

    public func remove(_ target: FileDescriptor) {
        var event = epoll_event()
        _ = epoll_ctl(fd.rawValue, EPOLL_CTL_DEL, target.rawValue, &event)
    }

    private func control(_ op: CInt, _ target: FileDescriptor, _ interest: Interest, _ token: UInt64) throws(SyscallError) {
        var event = epoll_event()
        event.events = interest.rawValue
        event.data.u64 = token
        _ = try check("epoll_ctl") { epoll_ctl(fd.rawValue, op, target.rawValue, &event) }
    }

    /// Waits up to `timeoutMillis` (-1: forever) and calls `body` for each ready registration.
    /// An interrupted wait (EINTR) returns with no events rather than retrying, so the caller's
    /// own timing stays right.
    public func wait(timeoutMillis: CInt, _ body: (Event) -> Void) throws(SyscallError) {
        let capacity = CInt(events.count)
        let n = events.withUnsafeMutableBufferPointer { epoll_wait(fd.rawValue, $0.baseAddress, capacity, timeoutMillis) }
        if n < 0 {
            let code = clinux_errno()
            if code == EINTR { return }
            throw SyscallError("epoll_wait", code)
        }
        for i in 0..<Int(n) {
            body(Event(token: events[i].data.u64, flags: Interest(rawValue: events[i].events)))
        }
    }

    public func close() { fd.close() }
}

public enum EpollToken {
    /// Packs what a registration is for (a small kind number), a generation counter and a
    /// descriptor into the 64-bit epoll user data.
    public static func make(kind: UInt8, generation: UInt32 = 0, fd: FileDescriptor) -> UInt64 {
        UInt64(kind) << 56 | UInt64(generation & 0xFF_FFFF) << 32 | UInt64(UInt32(bitPattern: fd.rawValue))
    }

    public static func kind(_ token: UInt64) -> UInt8 { UInt8(token >> 56) }
    public static func generation(_ token: UInt64) -> UInt32 { UInt32((token >> 32) & 0xFF_FFFF) }
    public static func fd(_ token: UInt64) -> FileDescriptor { FileDescriptor(rawValue: CInt(bitPattern: UInt32(token & 0xFFFF_FFFF))) }
}

/// A monotonic timerfd. Level-triggered: `consume()` must be called when it fires.
public enum TimerFD {
    public static func create() throws(SyscallError) -> FileDescriptor {
        FileDescriptor(rawValue: try check("timerfd_create") {
            timerfd_create(CLOCK_MONOTONIC, CLINUX_TFD_NONBLOCK | CLINUX_TFD_CLOEXEC)
        })
    }

    /// Fires first after `initialNanos`, then every `intervalNanos` (0: once).
    public static func arm(_ fd: FileDescriptor, initialNanos: UInt64, intervalNanos: UInt64) throws(SyscallError) {
        var spec = itimerspec()
        spec.it_value = timespec(nanos: max(initialNanos, 1))
        spec.it_interval = timespec(nanos: intervalNanos)
        _ = try check("timerfd_settime") { timerfd_settime(fd.rawValue, 0, &spec, nil) }
    }

    /// Reads the expiration count (0 if it had not fired).
    public static func consume(_ fd: FileDescriptor) throws(SyscallError) -> UInt64 {
        switch try fd.readCounter() {
        case .done(let n): return n
        case .wouldBlock: return 0
        }
    }
}

extension timespec {
    init(nanos: UInt64) {
        self.init(tv_sec: Int(nanos / 1_000_000_000), tv_nsec: Int(nanos % 1_000_000_000))
    }
}

/// Signals delivered as readable events instead of asynchronous handlers.
public enum SignalFD {
    /// Blocks `signals` for the calling thread (do it first thing in main, before any thread
    /// exists) and returns a signalfd that reports them. SIGPIPE is ignored outright.
    public static func create(_ signals: [CInt]) throws(SyscallError) -> FileDescriptor {
        signal(SIGPIPE, SIG_IGN)
        var set = sigset_t()
        sigemptyset(&set)
        for s in signals { sigaddset(&set, s) }
        _ = try check("sigprocmask") { sigprocmask(SIG_BLOCK, &set, nil) }
        return FileDescriptor(rawValue: try check("signalfd") {
            signalfd(-1, &set, CLINUX_SFD_NONBLOCK | CLINUX_SFD_CLOEXEC)
        })
    }

    /// The next pending signal number, or nil when none is pending.
    public static func next(_ fd: FileDescriptor) throws(SyscallError) -> CInt? {
        var info = signalfd_siginfo()
        let size = MemoryLayout<signalfd_siginfo>.size
        let result = try checkNonBlocking("read(signalfd)") { Glibc.read(fd.rawValue, &info, size) }
        guard case .done(let n) = result, n == size else { return nil }
        return CInt(info.ssi_signo)
    }

    /// Restores the default disposition (for child processes and tests).
    public static func unblock(_ signals: [CInt]) {
        var set = sigset_t()
        sigemptyset(&set)
        for s in signals { sigaddset(&set, s) }
        sigprocmask(SIG_UNBLOCK, &set, nil)
    }
}

public enum Clock {
    /// Nanoseconds on the monotonic clock (for intervals and deadlines).
    public static func monotonicNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Milliseconds since the Unix epoch on the wall clock (for timestamps).
    public static func wallMillis() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec / 1_000_000)
    }

    public static func sleep(nanos: UInt64) {
        var req = timespec(nanos: nanos)
        var rem = timespec()
        while nanosleep(&req, &rem) == -1 && clinux_errno() == EINTR { req = rem }
    }
}

/// Facts about this process and its environment.
public enum ProcessInfo {
    public static var pid: CInt { getpid() }

    public static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }

    public static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, 255) == 0 else { return "localhost" }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Raises the soft descriptor limit to the hard one (this daemon uses epoll, not select,
    /// so a large limit is safe) and returns the new soft limit.
    @discardableResult
    public static func raiseDescriptorLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(CInt(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(CInt(RLIMIT_NOFILE.rawValue), &raised) == 0 { return Int(raised.rlim_cur) }
        }
        return Int(limit.rlim_cur)
    }

    /// "device:inode" of `fd`, the form systemd puts in JOURNAL_STREAM.
    public static func deviceAndInode(_ fd: CInt) -> String? {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        return "\(st.st_dev):\(st.st_ino)"
    }

    /// Writes all of `text` to a descriptor (stderr, stdout), ignoring errors: logging must never
    /// take the daemon down.
    public static func writeAll(_ fd: CInt, _ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n > 0 { offset += n; continue }
                if n == -1 && clinux_errno() == EINTR { continue }
                return
            }
        }
    }
}
