import ProcFS
import ProcParsers
import Testing
@testable import Collectors

/// `/metrics` rendering: exact lines for every family, label escaping, and null unit fields
/// left out rather than exported as 0.
@Suite struct ExpositionTests {
    static func lines(_ input: Exposition.Input) -> [String] {
        String(decoding: Exposition.render(input), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    static func host() -> Exposition.Input {
        var i = Exposition.Input()
        i.clockTicksPerSecond = 100
        let t = CPUTimes(user: 150870, nice: 523, system: 22874, idle: 381652, iowait: 1404, irq: 0, softirq: 922, steal: 289)
        i.cpu = CPUStat(total: t, cores: [CoreTimes(id: 0, times: t), CoreTimes(id: 3, times: CPUTimes(user: 1, nice: 0, system: 2, idle: 5))])
        i.memory = MemInfo(totalBytes: 25_275_990_016, availableBytes: 24_781_692_928)
        i.load = LoadAvg(one: 1.24, five: 0.5, fifteen: 2, runnable: 3, threads: 900)
        var tcp = TCPStates()
        tcp.counts = [16, 1, 0, 0, 0, 259, 0, 2, 0, 4, 0, 7]
        i.tcp = tcp
        i.uptimeSeconds = 5571.4
        i.wallSeconds = 1_796_160_854.191
        let stall = { (us: UInt64) in PressureStall(avg10: 0.5, avg60: 0, avg300: 0, totalMicros: us) }
        i.pressure = PressureCollector.Value(cpu: Pressure(some: stall(464_814_295), full: nil),
                                             memory: Pressure(some: stall(0), full: stall(1)),
                                             io: Pressure(some: stall(21_798_804), full: stall(19_092_598)))
        i.network = [NetDevCounters(name: "lo", rxBytes: 10, rxPackets: 1, txBytes: 10, txPackets: 1),
                     NetDevCounters(name: "eth0.100", rxBytes: 123_456_789_012, rxPackets: 9, txBytes: 42, txPackets: 1)]
        i.disks = [DiskCounters(major: 259, minor: 0, name: "nvme0n1", readsCompleted: 1000, sectorsRead: 8, writesCompleted: 20, sectorsWritten: 16)]
        return i
    }

    @Test func hostFamiliesHaveNodeExporterNamesAndExactLines() {
        let l = Self.lines(Self.host())
        let expected = """
        # HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.
        # TYPE node_cpu_seconds_total counter
        node_cpu_seconds_total{cpu="0",mode="user"} 1508.7
        node_cpu_seconds_total{cpu="0",mode="nice"} 5.23
        node_cpu_seconds_total{cpu="0",mode="system"} 228.74
        node_cpu_seconds_total{cpu="0",mode="idle"} 3816.52
        node_cpu_seconds_total{cpu="0",mode="iowait"} 14.04
        node_cpu_seconds_total{cpu="0",mode="irq"} 0
        node_cpu_seconds_total{cpu="0",mode="softirq"} 9.22
        node_cpu_seconds_total{cpu="0",mode="steal"} 2.89
        node_cpu_seconds_total{cpu="3",mode="user"} 0.01
        node_cpu_seconds_total{cpu="3",mode="nice"} 0
        node_cpu_seconds_total{cpu="3",mode="system"} 0.02
        node_cpu_seconds_total{cpu="3",mode="idle"} 0.05
        node_cpu_seconds_total{cpu="3",mode="iowait"} 0
        node_cpu_seconds_total{cpu="3",mode="irq"} 0
        node_cpu_seconds_total{cpu="3",mode="softirq"} 0
        node_cpu_seconds_total{cpu="3",mode="steal"} 0
        # HELP node_memory_MemTotal_bytes Memory information field MemTotal_bytes.
        # TYPE node_memory_MemTotal_bytes gauge
        node_memory_MemTotal_bytes 25275990016
        # HELP node_memory_MemAvailable_bytes Memory information field MemAvailable_bytes.
        # TYPE node_memory_MemAvailable_bytes gauge
        node_memory_MemAvailable_bytes 24781692928
        # HELP node_load1 1m load average.
        # TYPE node_load1 gauge
        node_load1 1.24
        # HELP node_load5 5m load average.
        # TYPE node_load5 gauge
        node_load5 0.5
        # HELP node_load15 15m load average.
        # TYPE node_load15 gauge
        node_load15 2
        # HELP node_procs_running Number of processes in runnable state.
        # TYPE node_procs_running gauge
        node_procs_running 3
        # HELP node_netstat_Tcp_CurrEstab Statistic TcpCurrEstab.
        # TYPE node_netstat_Tcp_CurrEstab gauge
        node_netstat_Tcp_CurrEstab 18
        # HELP node_tcp_connection_states Number of connection states.
        # TYPE node_tcp_connection_states gauge
        node_tcp_connection_states{state="established"} 16
        node_tcp_connection_states{state="syn_sent"} 1
        node_tcp_connection_states{state="syn_recv"} 0
        node_tcp_connection_states{state="fin_wait1"} 0
        node_tcp_connection_states{state="fin_wait2"} 0
        node_tcp_connection_states{state="time_wait"} 259
        node_tcp_connection_states{state="close"} 0
        node_tcp_connection_states{state="close_wait"} 2
        node_tcp_connection_states{state="last_ack"} 0
        node_tcp_connection_states{state="listen"} 4
        node_tcp_connection_states{state="closing"} 0
        # HELP node_pressure_cpu_waiting_seconds_total Total time in seconds that processes have waited for CPU time
        # TYPE node_pressure_cpu_waiting_seconds_total counter
        node_pressure_cpu_waiting_seconds_total 464.814295
        # HELP node_pressure_io_waiting_seconds_total Total time in seconds that processes have waited due to IO congestion
        # TYPE node_pressure_io_waiting_seconds_total counter
        node_pressure_io_waiting_seconds_total 21.798804
        # HELP node_pressure_io_stalled_seconds_total Total time in seconds no process could make progress due to IO congestion
        # TYPE node_pressure_io_stalled_seconds_total counter
        node_pressure_io_stalled_seconds_total 19.092598
        # HELP node_pressure_memory_waiting_seconds_total Total time in seconds that processes have waited for memory
        # TYPE node_pressure_memory_waiting_seconds_total counter
        node_pressure_memory_waiting_seconds_total 0
        # HELP node_pressure_memory_stalled_seconds_total Total time in seconds no process could make progress due to memory congestion
        # TYPE node_pressure_memory_stalled_seconds_total counter
        node_pressure_memory_stalled_seconds_total 1e-06
        # HELP node_network_receive_bytes_total Network device statistic receive_bytes.
        # TYPE node_network_receive_bytes_total counter
        node_network_receive_bytes_total{device="lo"} 10
        node_network_receive_bytes_total{device="eth0.100"} 123456789012
        # HELP node_network_transmit_bytes_total Network device statistic transmit_bytes.
        # TYPE node_network_transmit_bytes_total counter
        node_network_transmit_bytes_total{device="lo"} 10
        node_network_transmit_bytes_total{device="eth0.100"} 42
        # HELP node_disk_read_bytes_total The total number of bytes read successfully.
        # TYPE node_disk_read_bytes_total counter
        node_disk_read_bytes_total{device="nvme0n1"} 4096
        # HELP node_disk_written_bytes_total The total number of bytes written successfully.
        # TYPE node_disk_written_bytes_total counter
        node_disk_written_bytes_total{device="nvme0n1"} 8192
        # HELP node_disk_reads_completed_total The total number of reads completed successfully.
        # TYPE node_disk_reads_completed_total counter
        node_disk_reads_completed_total{device="nvme0n1"} 1000
        # HELP node_disk_writes_completed_total The total number of writes completed successfully.
        # TYPE node_disk_writes_completed_total counter
        node_disk_writes_completed_total{device="nvme0n1"} 20
        # HELP node_boot_time_seconds Node boot time, in unixtime.
        # TYPE node_boot_time_seconds gauge
        node_boot_time_seconds 1796155283
        # HELP node_time_seconds System time in seconds since epoch (1970).
        # TYPE node_time_seconds gauge
        node_time_seconds 1796160854.191

        """
        #expect(l == expected.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
    }

    @Test func netlinkCurrEstabIsTheKernelCounter() {
        var i = Self.host()
        i.currEstab = 17
        #expect(Self.lines(i).contains("node_netstat_Tcp_CurrEstab 17"))
    }

    @Test func absentSourcesHaveNoFamily() {
        var i = Exposition.Input()
        i.wallSeconds = 2
        #expect(Self.lines(i) == ["# HELP node_time_seconds System time in seconds since epoch (1970).",
                                  "# TYPE node_time_seconds gauge", "node_time_seconds 2", ""])
    }

    @Test func unitsLeaveNullFieldsOutAndEscapeLabels() {
        var full = CgroupReader.Counters()
        full.cpuMicros = 48_211_907
        full.memoryBytes = 38_158_336
        full.anonBytes = 14_680_064
        full.tasks = 5
        full.io = CgroupIO(readBytes: 4096, writeBytes: 512)
        full.pressureTotalMicros = (1_500_000, 2, 0)
        var bare = CgroupReader.Counters()
        bare.cpuMicros = 555_000
        var i = Exposition.Input()
        i.wallSeconds = 1
        i.units = [UnitSample(name: "nginx.service", slice: "system.slice", counters: full),
                   UnitSample(name: #"machine-qemu\x2d1 "a".scope"#, slice: "machine.slice", counters: bare),
                   UnitSample(name: "nginx.service", slice: "system.slice", counters: bare),   // a repeat: left out
                   UnitSample(name: "nginx.service", slice: "system.slice", manager: "user@1000.service", counters: bare)]
        let units = Array(Self.lines(i).dropFirst(3))
        #expect(units == [
            "# HELP procstream_unit_cpu_seconds_total CPU time the unit's cgroup used (cpu.stat usage_usec).",
            "# TYPE procstream_unit_cpu_seconds_total counter",
            #"procstream_unit_cpu_seconds_total{unit="nginx.service",slice="system.slice"} 48.211907"#,
            #"procstream_unit_cpu_seconds_total{unit="machine-qemu\\x2d1 \"a\".scope",slice="machine.slice"} 0.555"#,
            #"procstream_unit_cpu_seconds_total{unit="nginx.service",slice="system.slice",manager="user@1000.service"} 0.555"#,
            "# HELP procstream_unit_memory_bytes Memory the unit's cgroup uses (memory.current).",
            "# TYPE procstream_unit_memory_bytes gauge",
            #"procstream_unit_memory_bytes{unit="nginx.service",slice="system.slice"} 38158336"#,
            "# HELP procstream_unit_memory_anon_bytes Anonymous memory of the unit's cgroup (memory.stat anon).",
            "# TYPE procstream_unit_memory_anon_bytes gauge",
            #"procstream_unit_memory_anon_bytes{unit="nginx.service",slice="system.slice"} 14680064"#,
            "# HELP procstream_unit_tasks Tasks in the unit's cgroup (pids.current).",
            "# TYPE procstream_unit_tasks gauge",
            #"procstream_unit_tasks{unit="nginx.service",slice="system.slice"} 5"#,
            "# HELP procstream_unit_io_read_bytes_total Bytes the unit's cgroup read from block devices (io.stat rbytes).",
            "# TYPE procstream_unit_io_read_bytes_total counter",
            #"procstream_unit_io_read_bytes_total{unit="nginx.service",slice="system.slice"} 4096"#,
            "# HELP procstream_unit_io_write_bytes_total Bytes the unit's cgroup wrote to block devices (io.stat wbytes).",
            "# TYPE procstream_unit_io_write_bytes_total counter",
            #"procstream_unit_io_write_bytes_total{unit="nginx.service",slice="system.slice"} 512"#,
            "# HELP procstream_unit_pressure_cpu_waiting_seconds_total Seconds some of the unit's tasks waited for CPU (cpu.pressure some total).",
            "# TYPE procstream_unit_pressure_cpu_waiting_seconds_total counter",
            #"procstream_unit_pressure_cpu_waiting_seconds_total{unit="nginx.service",slice="system.slice"} 1.5"#,
            "# HELP procstream_unit_pressure_memory_waiting_seconds_total Seconds some of the unit's tasks waited for memory (memory.pressure some total).",
            "# TYPE procstream_unit_pressure_memory_waiting_seconds_total counter",
            #"procstream_unit_pressure_memory_waiting_seconds_total{unit="nginx.service",slice="system.slice"} 2e-06"#,
            "# HELP procstream_unit_pressure_io_waiting_seconds_total Seconds some of the unit's tasks waited for IO (io.pressure some total).",
            "# TYPE procstream_unit_pressure_io_waiting_seconds_total counter",
            #"procstream_unit_pressure_io_waiting_seconds_total{unit="nginx.service",slice="system.slice"} 0"#,
            "",
        ])
    }

    @Test func daemonSeries() {
        var i = Exposition.Input()
        i.wallSeconds = 1
        i.daemon = Exposition.Daemon(version: "0.1.0", subscribers: 3, eventsSent: 12, subscribersDropped: 1, connectionsRefused: 2,
                                     collectSeconds: 0.0025, sources: [("cpu", true), ("pressure", false)])
        let samples = Self.lines(i).filter { $0.hasPrefix("procstream_") }
        #expect(samples == [#"procstream_build_info{version="0.1.0"} 1"#, "procstream_subscribers 3", "procstream_events_sent_total 12",
                            "procstream_subscribers_dropped_total 1", "procstream_connections_refused_total 2",
                            "procstream_collect_duration_seconds 0.0025",
                            #"procstream_source_up{source="cpu"} 1"#, #"procstream_source_up{source="pressure"} 0"#])
    }

    @Test func helpTextEscapesBackslashAndNewline() {
        var w = Exposition.Writer()
        w.family("x", "a\\b\nc \"q\"", .gauge)
        #expect(String(decoding: w.out, as: UTF8.self) == "# HELP x a\\\\b\\nc \"q\"\n# TYPE x gauge\n")
    }
}
