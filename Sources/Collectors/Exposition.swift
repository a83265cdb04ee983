import ProcFS
import ProcParsers

/// `/metrics`: the Prometheus text exposition format 0.0.4 of one tick's raw counters. Pure:
/// values in, bytes out. Host series carry node_exporter's exact names and labels where the
/// data is the same (so its dashboards and alert rules work unchanged); per-unit and daemon
/// series are `procstream_*`. Counters are raw totals in base units (seconds, bytes), never
/// rates. A source that failed or is absent this tick has no samples (its family is left out,
/// HELP and TYPE too); `procstream_source_up` says which.
public enum Exposition {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// What the daemon says about itself.
    public struct Daemon: Sendable {
        public var version: String
        public var subscribers: Int
        public var eventsSent: UInt64
        public var subscribersDropped: UInt64
        public var connectionsRefused: UInt64
        public var collectSeconds: Double
        /// Every source by name with whether it read this tick, in registry order.
        public var sources: [(name: String, up: Bool)]

        public init(version: String, subscribers: Int, eventsSent: UInt64, subscribersDropped: UInt64,
                    connectionsRefused: UInt64, collectSeconds: Double, sources: [(name: String, up: Bool)]) {
            self.version = version
            self.subscribers = subscribers
            self.eventsSent = eventsSent
            self.subscribersDropped = subscribersDropped
            self.connectionsRefused = connectionsRefused
            self.collectSeconds = collectSeconds
            self.sources = sources
        }
    }

    /// One tick's values; nil for a source without a reading.
    public struct Input {
        public var cpu: CPUStat?
        /// USER_HZ, `sysconf(_SC_CLK_TCK)`: /proc/stat's unit.
        public var clockTicksPerSecond: Double = 100
        public var memory: MemInfo?
        public var load: LoadAvg?
        public var tcp: TCPStates?
        /// net/snmp's CurrEstab where read; else ESTABLISHED + CLOSE_WAIT (RFC 1213's definition).
        public var currEstab: UInt64?
        public var uptimeSeconds: Double?
        /// The tick's wall-clock time, seconds since the epoch.
        public var wallSeconds: Double = 0
        public var pressure: PressureCollector.Value?
        public var network: [NetDevCounters]?
        public var disks: [DiskCounters]?
        /// nil: the per-unit view was not collected this tick.
        public var units: [UnitSample]?
        public var daemon: Daemon?

        public init() {}
    }

    /// Reads the registry's last values (the tick's) into an input.
    public static func input(_ registry: Registry, clockTicksPerSecond: Double, wallSeconds: Double) -> Input {
        var i = Input()
        i.cpu = registry.value(of: CPUCollector.self)?.stat
        i.clockTicksPerSecond = clockTicksPerSecond
        i.memory = registry.value(of: MemoryCollector.self)
        i.load = registry.value(of: LoadCollector.self)
        let tcp = registry.value(of: TCPCollector.self)
        i.tcp = tcp?.states
        i.currEstab = tcp?.currEstab
        i.uptimeSeconds = registry.value(of: UptimeCollector.self)
        i.wallSeconds = wallSeconds
        i.pressure = registry.value(of: PressureCollector.self)
        i.network = registry.value(of: NetworkCollector.self)?.counters
        i.disks = registry.value(of: DiskCollector.self)?.counters
        return i
    }

    static let cpuModes = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"]

    public static func render(_ input: Input) -> [UInt8] {
        var w = Writer()
        w.out.reserveCapacity(8192 + (input.units?.count ?? 0) * 600)

        if let cpu = input.cpu {
            w.family("node_cpu_seconds_total", "Seconds the CPUs spent in each mode.", .counter)
            let hz = input.clockTicksPerSecond
            for core in cpu.cores {
                let t = core.times
                let values = [t.user, t.nice, t.system, t.idle, t.iowait, t.irq, t.softirq, t.steal]
                let id = String(core.id)
                for (mode, v) in zip(cpuModes, values) {
                    w.sample("node_cpu_seconds_total", [("cpu", id), ("mode", mode)], Double(v) / hz)
                }
            }
        }
        if let m = input.memory {
            w.gauge("node_memory_MemTotal_bytes", "Memory information field MemTotal_bytes.", m.totalBytes)
            w.gauge("node_memory_MemAvailable_bytes", "Memory information field MemAvailable_bytes.", m.availableBytes)
        }
        if let l = input.load {
            w.gauge("node_load1", "1m load average.", l.one)
            w.gauge("node_load5", "5m load average.", l.five)
            w.gauge("node_load15", "15m load average.", l.fifteen)
            w.gauge("node_procs_running", "Number of processes in runnable state.", l.runnable)
        }
        if let tcp = input.tcp {
            w.gauge("node_netstat_Tcp_CurrEstab", "Statistic TcpCurrEstab.", input.currEstab ?? tcp.established + tcp.closeWait)
            w.family("node_tcp_connection_states", "Number of connection states.", .gauge)
            // new_syn_recv is a request socket, never listed by /proc/net/tcp nor node_exporter.
            for (i, name) in TCPStates.names.enumerated().dropLast() {
                w.sample("node_tcp_connection_states", [("state", name)], tcp.counts[i])
            }
        }
        if let p = input.pressure {
            w.counter("node_pressure_cpu_waiting_seconds_total", "Total time in seconds that processes have waited for CPU time",
                      seconds(p.cpu.some.totalMicros))
            if let full = p.cpu.full {
                w.counter("node_pressure_cpu_stalled_seconds_total", "Total time in seconds no process could make progress due to CPU congestion",
                          seconds(full.totalMicros))
            }
            w.counter("node_pressure_io_waiting_seconds_total", "Total time in seconds that processes have waited due to IO congestion",
                      seconds(p.io.some.totalMicros))
            if let full = p.io.full {
                w.counter("node_pressure_io_stalled_seconds_total", "Total time in seconds no process could make progress due to IO congestion",
                          seconds(full.totalMicros))
            }
            w.counter("node_pressure_memory_waiting_seconds_total", "Total time in seconds that processes have waited for memory",
                      seconds(p.memory.some.totalMicros))
            if let full = p.memory.full {
                w.counter("node_pressure_memory_stalled_seconds_total", "Total time in seconds no process could make progress due to memory congestion",
                          seconds(full.totalMicros))
            }
        }
        if let net = input.network {
            w.family("node_network_receive_bytes_total", "Network device statistic receive_bytes.", .counter)
            for d in net { w.sample("node_network_receive_bytes_total", [("device", d.name)], d.rxBytes) }
            w.family("node_network_transmit_bytes_total", "Network device statistic transmit_bytes.", .counter)
            for d in net { w.sample("node_network_transmit_bytes_total", [("device", d.name)], d.txBytes) }
        }
        if let disks = input.disks {
            w.family("node_disk_read_bytes_total", "The total number of bytes read successfully.", .counter)
            for d in disks { w.sample("node_disk_read_bytes_total", [("device", d.name)], d.sectorsRead &* 512) }
            w.family("node_disk_written_bytes_total", "The total number of bytes written successfully.", .counter)
            for d in disks { w.sample("node_disk_written_bytes_total", [("device", d.name)], d.sectorsWritten &* 512) }
            w.family("node_disk_reads_completed_total", "The total number of reads completed successfully.", .counter)
            for d in disks { w.sample("node_disk_reads_completed_total", [("device", d.name)], d.readsCompleted) }
            w.family("node_disk_writes_completed_total", "The total number of writes completed successfully.", .counter)
            for d in disks { w.sample("node_disk_writes_completed_total", [("device", d.name)], d.writesCompleted) }
        }
        if let up = input.uptimeSeconds {
            // now - uptime, to the second (btime in /proc/stat is whole seconds too).
            w.gauge("node_boot_time_seconds", "Node boot time, in unixtime.", (input.wallSeconds - up).rounded())
        }
        w.gauge("node_time_seconds", "System time in seconds since epoch (1970).", input.wallSeconds)

        if let units = input.units { renderUnits(units, &w) }
        if let d = input.daemon { renderDaemon(d, &w) }
        return w.out
    }

    private static func seconds(_ micros: UInt64) -> Double { Double(micros) / 1e6 }

    /// One family at a time, each unit in the view's order; a unit without a figure (the file is
    /// absent, or its controller off) has no sample in that family rather than a 0.
    /// Labels `unit`, `slice`, and `manager` for a user manager's units: a unit name alone is
    /// not unique (`init.scope` is both PID 1's and each user manager's). A repeated label set
    /// keeps its first sample only, so a scrape never has duplicate series (Prometheus rejects
    /// the whole scrape for one).
    private static func renderUnits(_ all: [UnitSample], _ w: inout Writer) {
        var seen = Set<String>()
        let units = all.filter { seen.insert(($0.manager ?? "") + "/" + $0.slice + "/" + $0.name).inserted }
        func each<V>(_ name: String, _ help: String, _ type: Writer.Kind, _ value: (UnitSample) -> V?, _ put: (inout Writer, String, UnitSample, V) -> Void) {
            guard units.contains(where: { value($0) != nil }) else { return }
            w.family(name, help, type)
            for u in units { if let v = value(u) { put(&w, name, u, v) } }
        }
        func labels(_ u: UnitSample) -> [(String, String)] {
            u.manager.map { [("unit", u.name), ("slice", u.slice), ("manager", $0)] } ?? [("unit", u.name), ("slice", u.slice)]
        }
        let int: (inout Writer, String, UnitSample, UInt64) -> Void = { w, name, u, v in w.sample(name, labels(u), v) }
        let dbl: (inout Writer, String, UnitSample, Double) -> Void = { w, name, u, v in w.sample(name, labels(u), v) }
        each("procstream_unit_cpu_seconds_total", "CPU time the unit's cgroup used (cpu.stat usage_usec).", .counter,
             { $0.counters.cpuMicros.map { Double($0) / 1e6 } }, dbl)
        each("procstream_unit_memory_bytes", "Memory the unit's cgroup uses (memory.current).", .gauge, { $0.counters.memoryBytes }, int)
        each("procstream_unit_memory_anon_bytes", "Anonymous memory of the unit's cgroup (memory.stat anon).", .gauge, { $0.counters.anonBytes }, int)
        each("procstream_unit_tasks", "Tasks in the unit's cgroup (pids.current).", .gauge, { $0.counters.tasks }, int)
        each("procstream_unit_io_read_bytes_total", "Bytes the unit's cgroup read from block devices (io.stat rbytes).", .counter,
             { $0.counters.io?.readBytes }, int)
        each("procstream_unit_io_write_bytes_total", "Bytes the unit's cgroup wrote to block devices (io.stat wbytes).", .counter,
             { $0.counters.io?.writeBytes }, int)
        each("procstream_unit_pressure_cpu_waiting_seconds_total", "Seconds some of the unit's tasks waited for CPU (cpu.pressure some total).", .counter,
             { $0.counters.pressureTotalMicros.map { seconds($0.cpu) } }, dbl)
        each("procstream_unit_pressure_memory_waiting_seconds_total", "Seconds some of the unit's tasks waited for memory (memory.pressure some total).", .counter,
             { $0.counters.pressureTotalMicros.map { seconds($0.memory) } }, dbl)
        each("procstream_unit_pressure_io_waiting_seconds_total", "Seconds some of the unit's tasks waited for IO (io.pressure some total).", .counter,
             { $0.counters.pressureTotalMicros.map { seconds($0.io) } }, dbl)
    }

    private static func renderDaemon(_ d: Daemon, _ w: inout Writer) {
        w.family("procstream_build_info", "procstreamd's version; always 1.", .gauge)
        w.sample("procstream_build_info", [("version", d.version)], UInt64(1))
        w.gauge("procstream_subscribers", "Event-stream subscribers connected now.", UInt64(max(0, d.subscribers)))
        w.counter("procstream_events_sent_total", "Events written to subscribers (live and replayed), since start.", d.eventsSent)
        w.counter("procstream_subscribers_dropped_total", "Subscribers dropped for not reading (over --max-queued-kib), since start.", d.subscribersDropped)
        w.counter("procstream_connections_refused_total", "Connections answered 503 over --max-connections or --max-clients, since start.", d.connectionsRefused)
        w.gauge("procstream_collect_duration_seconds", "What the last collection of every source took.", d.collectSeconds)
        w.family("procstream_source_up", "Whether the source read in the last collection (1) or failed (0).", .gauge)
        for s in d.sources { w.sample("procstream_source_up", [("source", s.name)], UInt64(s.up ? 1 : 0)) }
    }

    /// Appends the format's lines; numbers the way Go's ParseFloat reads them.
    struct Writer {
        enum Kind: String { case counter, gauge }
        var out: [UInt8] = []

        mutating func family(_ name: String, _ help: String, _ kind: Kind) {
            append("# HELP "); append(name); out.append(0x20); appendEscaped(help, quote: false); out.append(0x0a)
            append("# TYPE "); append(name); out.append(0x20); append(kind.rawValue); out.append(0x0a)
        }

        mutating func gauge(_ name: String, _ help: String, _ v: UInt64) { family(name, help, .gauge); sample(name, [], v) }
        mutating func gauge(_ name: String, _ help: String, _ v: Double) { family(name, help, .gauge); sample(name, [], v) }
        mutating func counter(_ name: String, _ help: String, _ v: UInt64) { family(name, help, .counter); sample(name, [], v) }
        mutating func counter(_ name: String, _ help: String, _ v: Double) { family(name, help, .counter); sample(name, [], v) }

        mutating func sample(_ name: String, _ labels: [(String, String)], _ v: UInt64) {
            head(name, labels); append(String(v)); out.append(0x0a)
        }

        mutating func sample(_ name: String, _ labels: [(String, String)], _ v: Double) {
            head(name, labels); append(Self.number(v)); out.append(0x0a)
        }

        private mutating func head(_ name: String, _ labels: [(String, String)]) {
            append(name)
            if !labels.isEmpty {
                out.append(0x7b) // {
                for (i, (k, v)) in labels.enumerated() {
                    if i > 0 { out.append(0x2c) }
                    append(k); out.append(0x3d); out.append(0x22)
                    appendEscaped(v, quote: true)
                    out.append(0x22)
                }
                out.append(0x7d)
            }
            out.append(0x20)
        }

        /// Integral values without a fraction ("12", not "12.0"); others as Swift's shortest
        /// round-trip form ("0.01", "1.5e-07"), which Go's ParseFloat reads.
        static func number(_ v: Double) -> String {
            if v.isNaN { return "NaN" }
            if v.isInfinite { return v < 0 ? "-Inf" : "+Inf" }
            if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
            return v.description
        }

        private mutating func append(_ s: String) { out.append(contentsOf: s.utf8) }

        /// HELP text escapes `\` and newline; a label value `\`, `"` and newline.
        private mutating func appendEscaped(_ s: String, quote: Bool) {
            for b in s.utf8 {
                switch b {
                case 0x5c: out.append(0x5c); out.append(0x5c)
                case 0x0a: out.append(0x5c); out.append(0x6e)
                case 0x22 where quote: out.append(0x5c); out.append(0x22)
                default: out.append(b)
                }
            }
        }
    }
}
