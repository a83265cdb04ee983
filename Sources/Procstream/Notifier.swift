import CSystemd
import Posix

/// The sd_notify protocol. Without NOTIFY_SOCKET (run by hand) every call is a no-op.
struct Notifier {
    let enabled: Bool
    /// Half of WATCHDOG_USEC when systemd asked for a watchdog (and it is meant for us).
    let watchdogPeriodNanos: UInt64?

    init() {
        enabled = ProcessInfo.environment("NOTIFY_SOCKET") != nil
        var usec: UInt64 = 0
        watchdogPeriodNanos = sd_watchdog_enabled(0, &usec) > 0 ? Self.watchdogPeriod(usec: usec) : nil
    }

    /// The longest ping period used: systemd accepts WATCHDOG_USEC up to 2^64 - 2 µs, and
    /// pinging more often than asked is harmless.
    static let maxWatchdogPeriodNanos: UInt64 = 3_600_000_000_000

    /// Half of `usec` in nanoseconds (`usec * 500`, which overflows past about 584 years),
    /// capped at an hour; nil for 0 (no watchdog).
    static func watchdogPeriod(usec: UInt64) -> UInt64? {
        guard usec > 0 else { return nil }
        let (half, overflow) = usec.multipliedReportingOverflow(by: 500)
        return overflow ? maxWatchdogPeriodNanos : min(half, maxWatchdogPeriodNanos)
    }

    func notify(_ state: String) {
        guard enabled else { return }
        _ = sd_notify(0, state)
    }

    func ready(status: String) { notify("READY=1\nSTATUS=\(status)") }
    func status(_ text: String) { notify("STATUS=\(text)") }
    func watchdog() { notify("WATCHDOG=1") }
    func stopping() { notify("STOPPING=1\nSTATUS=stopping") }

    /// Listening sockets passed by systemd socket activation (only when LISTEN_PID is ours;
    /// sd_listen_fds checks that, sets FD_CLOEXEC and unsets the variables).
    static func listenDescriptors() -> [FileDescriptor] {
        let n = sd_listen_fds(1)
        guard n > 0 else { return [] }
        return (0..<n).map { FileDescriptor(rawValue: SD_LISTEN_FDS_START + $0) }
    }
}
