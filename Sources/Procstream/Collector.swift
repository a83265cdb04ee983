import Posix
import ProcFS

/// Reads every source once per tick. Each source fails on its own: its fields become nil and
/// its error is reported, the others still count. CPU percentages are deltas against the
/// previous successful read of /proc/stat.
struct Collector {
    private var reader: ProcReader
    private var previousCPU: CPUStat?
    /// TCP states come from netlink sock_diag when the proc root is the live /proc (a captured
    /// tree has no netlink), and from /proc/net/tcp* otherwise or for a tick where netlink fails.
    private var tcp: TCPSource

    /// `netlink`: nil decides by the proc root; a `TCPSource.Opener` (tests) uses that.
    init(procRoot: String, netlink: Bool? = nil, openNetlink: TCPSource.Opener? = nil) {
        reader = ProcReader(root: procRoot)
        let live = netlink ?? (procRoot == "/proc" || procRoot == "/proc/")
        let opener: TCPSource.Opener? = live ? { TCPSource.sockDiag() } : nil
        tcp = TCPSource(open: openNetlink ?? opener)
    }

    /// What the last collection counted TCP states with: "netlink" or "proc".
    var tcpSource: String { tcp.name }

    /// A change in where TCP states come from since the last call, for the log.
    mutating func takeTCPNotice() -> TCPSource.Notice? { tcp.takeNotice() }

    /// Takes the CPU baseline, so the first snapshot after it has a real percentage.
    mutating func prime() {
        if case .success(let stat) = reader.stat() { previousCPU = stat }
    }

    /// Pairs cores by CPU id, never by position: a hot-unplug that keeps the count but changes
    /// the set must not compare one core with another. Both lists are in ascending id order.
    static func corePercents(_ now: [CoreTimes], since then: [CoreTimes]) -> [CorePercent] {
        var j = then.startIndex
        return now.map { core in
            while j < then.endIndex && then[j].id < core.id { j += 1 }
            let percent = j < then.endIndex && then[j].id == core.id ? core.times.busyPercent(since: then[j].times) : nil
            return CorePercent(id: core.id, percent: percent)
        }
    }

    mutating func collect(clients: Int) -> Snapshot {
        let started = Clock.monotonicNanos()
        var snapshot = Snapshot(wallMillis: Clock.wallMillis(), cpuPercent: nil, corePercents: nil, memory: nil,
                                load: nil, tcp: nil, tcpSource: "proc", uptimeSeconds: nil, clients: clients,
                                collectMicros: 0, errors: [])
        switch reader.stat() {
        case .success(let stat):
            if let previous = previousCPU {
                snapshot.cpuPercent = stat.total.busyPercent(since: previous.total)
                snapshot.corePercents = Self.corePercents(stat.cores, since: previous.cores)
            }
            previousCPU = stat
        case .failure(let error):
            previousCPU = nil
            snapshot.errors.append(error)
        }
        switch reader.meminfo() {
        case .success(let mem): snapshot.memory = mem
        case .failure(let error): snapshot.errors.append(error)
        }
        switch reader.loadavg() {
        case .success(let load): snapshot.load = load
        case .failure(let error): snapshot.errors.append(error)
        }
        switch tcp.tcpStates(reader: &reader, now: started) {
        case .success(let states): snapshot.tcp = states
        case .failure(let error): snapshot.errors.append(error)
        }
        snapshot.tcpSource = tcp.name
        switch reader.uptime() {
        case .success(let up): snapshot.uptimeSeconds = up
        case .failure(let error): snapshot.errors.append(error)
        }
        snapshot.collectMicros = Int((Clock.monotonicNanos() - started) / 1000)
        return snapshot
    }
}
