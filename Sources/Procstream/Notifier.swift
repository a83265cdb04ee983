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
        if sd_watchdog_enabled(0, &usec) > 0, usec > 0 {
            watchdogPeriodNanos = usec * 1000 / 2
        } else {
            watchdogPeriodNanos = nil
        }
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
