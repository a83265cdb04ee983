import Posix
import ProcFS

/// Reads every source once per tick. Each source fails on its own: its fields become nil and
/// its error is reported, the others still count. CPU percentages are deltas against the
/// previous successful read of /proc/stat.
struct Collector {
    private var reader: ProcReader
    private var previousCPU: CPUStat?

    init(procRoot: String) {
        reader = ProcReader(root: procRoot)
    }

    /// Takes the CPU baseline, so the first snapshot after it has a real percentage.
    mutating func prime() {
        if case .success(let stat) = reader.stat() { previousCPU = stat }
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
                // A core going offline or online changes the list: no per-core figures this tick.
                if previous.cores.count == stat.cores.count {
                    snapshot.corePercents = zip(stat.cores, previous.cores).map { $0.busyPercent(since: $1) }
                }
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
        switch reader.tcpStates() {
        case .success(let tcp): snapshot.tcp = tcp
        case .failure(let error): snapshot.errors.append(error)
        }
        switch reader.uptime() {
        case .success(let up): snapshot.uptimeSeconds = up
        case .failure(let error): snapshot.errors.append(error)
        }
        snapshot.collectMicros = Int((Clock.monotonicNanos() - started) / 1000)
        return snapshot
    }
}
