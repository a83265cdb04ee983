import Posix
import Testing
@testable import Procstream

@Suite struct ConfigurationTests {
    func run(_ args: [String]) -> Configuration? {
        if case .success(.run(let c)) = Configuration.parse(args) { return c }
        return nil
    }

    func error(_ args: [String]) -> String? {
        if case .failure(let e) = Configuration.parse(args) { return e.description }
        return nil
    }

    @Test func defaults() {
        let c = run([])!
        #expect(c.listen == [.ipv4(host: "127.0.0.1", port: 9490)])
        #expect(c.intervalSeconds == 1)
        #expect(c.procRoot == "/proc")
        #expect(c.maxClients == 1024)
        #expect(!c.once)
    }

    @Test func everyFlagBothForms() {
        let c = run(["--listen", "[::1]:9491", "--listen=unix:/run/p.sock", "--interval=0.25", "--proc-root", "/tmp/p",
                     "--max-clients=10", "--once"])!
        #expect(c.listen == [.ipv6(host: "::1", port: 9491), .unix(path: "/run/p.sock")])
        #expect(c.intervalSeconds == 0.25)
        #expect(c.intervalNanos == 250_000_000)
        #expect(c.procRoot == "/tmp/p")
        #expect(c.maxClients == 10)
        #expect(c.once)
    }

    @Test func helpAndVersion() throws {
        #expect(try Configuration.parse(["--help"]).get() == .help)
        #expect(try Configuration.parse(["-h"]).get() == .help)
        #expect(try Configuration.parse(["--interval", "1", "--version"]).get() == .version)
        #expect(Configuration.usage.contains("--interval SECONDS"))
    }

    @Test(arguments: ["0.01", "3600", "1", "0.5"])
    func intervalAccepted(_ value: String) {
        #expect(run(["--interval", value]) != nil)
    }

    @Test(arguments: ["0", "0.009", "3600.1", "-1", "abc", "nan", "inf", ""])
    func intervalRefused(_ value: String) {
        #expect(error(["--interval", value])?.contains("0.01 to 3600") == true)
    }

    @Test func clearErrors() {
        #expect(error(["--bogus"]) == "unknown option '--bogus'")
        #expect(error(["--listen"]) == "--listen needs a value")
        #expect(error(["--listen", "localhost:80"])?.contains("bad IPv4 address") == true)
        #expect(error(["--listen", "127.0.0.1:99999"])?.contains("bad port") == true)
        #expect(error(["--listen", "[::1"])?.contains("missing ']'") == true)
        #expect(error(["--listen", "unix:relative"])?.contains("absolute") == true)
        #expect(error(["--max-clients", "0"])?.contains("1 to 1000000") == true)
        #expect(error(["--proc-root="]) == "--proc-root must not be empty")
        #expect(error(["--once=yes"]) == "--once takes no value")
    }
}

@Suite struct FormattingTests {
    @Test func logLines() {
        #expect(Log.format(.warning, "a\nb", journal: true) == "<4>a b\n")
        #expect(Log.format(.info, "x", journal: true) == "<6>x\n")
        #expect(Log.format(.error, "x", journal: false) == "procstreamd: error: x\n")
        #expect(Log.format(.info, "x", journal: false) == "procstreamd: x\n")
    }
}

@Suite struct WatchdogPeriodTests {
    /// Half the interval systemd asks for; huge values (up to the 2^64 - 2 µs systemd accepts)
    /// must not overflow `usec * 1000`, they are capped at an hour.
    @Test func halfTheIntervalCappedWithoutOverflow() {
        #expect(Notifier.watchdogPeriod(usec: 0) == nil)
        #expect(Notifier.watchdogPeriod(usec: 1) == 500)
        #expect(Notifier.watchdogPeriod(usec: 5_000_000) == 2_500_000_000)
        #expect(Notifier.watchdogPeriod(usec: 7_200_000_000) == Notifier.maxWatchdogPeriodNanos)
        #expect(Notifier.watchdogPeriod(usec: UInt64.max / 1000 + 1) == Notifier.maxWatchdogPeriodNanos)
        #expect(Notifier.watchdogPeriod(usec: UInt64.max - 1) == Notifier.maxWatchdogPeriodNanos)
    }
}

@Suite struct AccessFlagTests {
    @Test func flags() throws {
        guard case .run(let c) = try Configuration.parse(["--token-file", "/etc/t", "--allow-origin", "https://a.example:8443",
                                                          "--allow-origin=http://b.example", "--max-connections", "50",
                                                          "--max-clients", "10", "--max-queued-kib", "64"]).get() else { Issue.record(); return }
        #expect(c.tokenFile == "/etc/t")
        #expect(c.allowedOrigins == ["https://a.example:8443", "http://b.example"])
        #expect(c.connectionLimit == 50)
        #expect(c.maxQueuedKiB == 64)
        guard case .run(let d) = try Configuration.parse(["--max-clients", "10"]).get() else { Issue.record(); return }
        #expect(d.connectionLimit == 1034)
        for bad in [["--allow-origin", "*"], ["--allow-origin", "https://a.example/path"], ["--allow-origin", "a.example"],
                    ["--max-connections", "5", "--max-clients", "10"], ["--max-queued-kib", "8"]] {
            if case .success = Configuration.parse(bad) { Issue.record("accepted \(bad)") }
        }
    }
}
