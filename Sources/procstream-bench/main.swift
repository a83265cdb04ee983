import Glibc
import Posix
import Procstream

// Micro-benchmark: one collection (all sources) and one serialisation, in microseconds, on the
// fixture trees, on the live /proc, and with 10,000+ established loopback connections open.
// Usage: procstream-bench [FIXTURES_DIR] [--connections N]
//        [--metrics-only | --live-only ITERATIONS | --units-only ITERATIONS [--cgroup-root DIR]]

var fixtures = "Tests/ProcFSTests/Fixtures"
var pairs = 5000   // each pair is two established sockets: 10,000 in all
var args = Array(CommandLine.arguments.dropFirst())
if let i = args.firstIndex(of: "--metrics-only") {
    // Just the /metrics render with 200 units (no collection, socket or units rows).
    args.remove(at: i)
    let fixtures = args.first ?? "Tests/ProcFSTests/Fixtures"
    guard let tree = MicroBenchmark.makeUnitTree(from: "\(fixtures)/cgroup-v2/system.slice/nginx.service", count: 200) else { exit(1) }
    let m = MicroBenchmark.metricsRender(root: tree, iterations: 200)
    _ = system("rm -rf '\(tree)'")
    print("| /metrics (Prometheus text) | runs | p50 us | p99 us | max us | bytes | series |")
    print("|---|---|---|---|---|---|---|")
    print("\(m.0) \(m.bytes) | \(m.series) |")
    exit(0)
}
if let i = args.firstIndex(of: "--live-only") {
    // Just the live quiet-host collection, many times (for a profiler), and its per-source p50s.
    let n = args.dropFirst(i + 1).first.flatMap(Int.init) ?? 20_000
    let r = MicroBenchmark.collection(name: "live /proc, quiet host", procRoot: "/proc", netlink: true, iterations: n)
    print("\(r.0) \(r.source) | \(r.connections.map(String.init) ?? "-") |")
    for c in r.perSource { print("\(c.name) \(c.p50Micros)") }
    exit(0)
}
if let i = args.firstIndex(of: "--units-only") {
    // Just the per-unit rows, ITERATIONS ticks each (for a profiler); `--cgroup-root DIR` times
    // the live row on that tree instead of /sys/fs/cgroup.
    let n = args.dropFirst(i + 1).first.flatMap(Int.init) ?? 500
    args.removeSubrange(i..<min(args.count, i + 2))
    var liveRoot = "/sys/fs/cgroup"
    if let j = args.firstIndex(of: "--cgroup-root"), j + 1 < args.count {
        liveRoot = args[j + 1]
        args.removeSubrange(j...(j + 1))
    }
    let fixtures = args.first ?? "Tests/ProcFSTests/Fixtures"
    print("| per-unit view (cgroup tree) | runs | p50 us | p99 us | max us | units | p50 us per unit |")
    print("|---|---|---|---|---|---|---|")
    unitsRow(MicroBenchmark.units(name: "fixture cgroup-v2 (16 units)", root: "\(fixtures)/cgroup-v2", iterations: n))
    unitsRow(MicroBenchmark.units(name: "fixture cgroup-hybrid (11 units)", root: "\(fixtures)/cgroup-hybrid", iterations: n))
    guard let tree = MicroBenchmark.makeUnitTree(from: "\(fixtures)/cgroup-v2/system.slice/nginx.service", count: 200) else { exit(1) }
    unitsRow(MicroBenchmark.units(name: "200-unit v2 tree (files on /tmp)", root: tree, iterations: max(1, n * 2 / 5)))
    _ = system("rm -rf '\(tree)'")
    unitsRow(MicroBenchmark.units(name: "live \(liveRoot)", root: liveRoot, iterations: n))
    exit(0)
}
while let a = args.first {
    args.removeFirst()
    if a == "--connections", let n = args.first.flatMap(Int.init) { pairs = max(1, n / 2); args.removeFirst() } else { fixtures = a }
}

func row(_ t: (MicroBenchmark.Timing, connections: UInt64?, source: String, perSource: [(name: String, p50Micros: Double)])) {
    print("\(t.0) \(t.source) | \(t.connections.map(String.init) ?? "-") |")
}

print("| collection | runs | p50 us | p99 us | max us | TCP source | established |")
print("|---|---|---|---|---|---|---|")
row(MicroBenchmark.collection(name: "fixture linux-6.18 (files)", procRoot: "\(fixtures)/linux-6.18-x86_64", netlink: false, iterations: 500))
row(MicroBenchmark.collection(name: "fixture linux-4.19 (files)", procRoot: "\(fixtures)/linux-4.19-armv7-noipv6", netlink: false, iterations: 500))
let quiet = MicroBenchmark.collection(name: "live /proc, quiet host", procRoot: "/proc", netlink: true, iterations: 500)
row(quiet)
let walking = MicroBenchmark.collection(name: "live /proc, quiet host, every tick walks the TCP hash", procRoot: "/proc", netlink: true,
                                        iterations: 200, tcpAuditNanos: 0)
row(walking)
row(MicroBenchmark.collection(name: "live /proc, quiet host, /proc/net/tcp fallback", procRoot: "/proc", netlink: false, iterations: 200))

// Many sockets: a listener of our own and `pairs` connections to it, all on loopback.
ProcessInfo.raiseDescriptorLimit()
var held: [FileDescriptor] = []
do {
    let listener = try Socket.listen(.ipv4(host: "127.0.0.1", port: 0), backlog: 4096)
    let port = try Socket.localPort(listener)
    var sin = sockaddr_in()
    sin.sin_family = sa_family_t(AF_INET)
    sin.sin_port = port.bigEndian
    sin.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
    for _ in 0..<pairs {
        let c = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard c >= 0 else { break }
        let rc = withUnsafePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(c, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { close(c); break }
        held.append(FileDescriptor(rawValue: c))
        var accepted: FileDescriptor?
        for _ in 0..<1000 {
            if case .done(let fd) = try Socket.accept(listener) { accepted = fd; break }
            usleep(100)
        }
        if let accepted { held.append(accepted) }
    }
    row(MicroBenchmark.collection(name: "live /proc, \(held.count) loopback sockets held", procRoot: "/proc", netlink: true, iterations: 200))
    row(MicroBenchmark.collection(name: "live /proc, \(held.count) loopback sockets, /proc/net/tcp fallback", procRoot: "/proc", netlink: false, iterations: 30))
    for fd in held { fd.close() }
    listener.close()
} catch {
    print("many-sockets case skipped: \(error)")
}

print("")
print("| per source, live /proc, quiet host (p50 us) | census ticks | every tick walks the TCP hash |")
print("|---|---|---|")
for (a, b) in zip(quiet.perSource, walking.perSource) {
    func f(_ v: Double) -> String { let t = Int((v * 10).rounded()); return "\(t / 10).\(t % 10)" }
    print("| \(a.name) | \(f(a.p50Micros)) | \(f(b.p50Micros)) |")
}

print("")
print("| serialisation | runs | p50 us | p99 us | max us |")
print("|---|---|---|---|---|")
print(MicroBenchmark.serialisation(iterations: 2000))

print("")
print("| per-unit view (cgroup tree) | runs | p50 us | p99 us | max us | units | p50 us per unit |")
print("|---|---|---|---|---|---|---|")
func unitsRow(_ r: (tick: MicroBenchmark.Timing, perUnit: Double, units: Int)) {
    print("\(r.tick) \(r.units) | \(String(Int((r.perUnit * 100).rounded())).withDecimal) |")
}
extension String {
    /// "123" -> "1.23" (hundredths).
    var withDecimal: String { count > 2 ? "\(dropLast(2)).\(suffix(2))" : "0.\(String(repeating: "0", count: 2 - count))\(self)" }
}
unitsRow(MicroBenchmark.units(name: "fixture cgroup-v2 (16 units)", root: "\(fixtures)/cgroup-v2", iterations: 500))
unitsRow(MicroBenchmark.units(name: "fixture cgroup-hybrid (11 units)", root: "\(fixtures)/cgroup-hybrid", iterations: 500))
if let tree = MicroBenchmark.makeUnitTree(from: "\(fixtures)/cgroup-v2/system.slice/nginx.service", count: 200) {
    unitsRow(MicroBenchmark.units(name: "200-unit v2 tree (files on /tmp)", root: tree, iterations: 200))
    unitsRow(MicroBenchmark.units(name: "live /sys/fs/cgroup", root: "/sys/fs/cgroup", iterations: 200))
    let m = MicroBenchmark.metricsRender(root: tree, iterations: 200)
    print("")
    print("| /metrics (Prometheus text) | runs | p50 us | p99 us | max us | bytes | series |")
    print("|---|---|---|---|---|---|---|")
    print("\(m.0) \(m.bytes) | \(m.series) |")
    _ = system("rm -rf '\(tree)'")
}
