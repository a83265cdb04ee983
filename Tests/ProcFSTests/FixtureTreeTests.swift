import Testing
@testable import ProcFS
@testable import ProcParsers

/// Captured /proc trees under Fixtures/, read through the same reader the daemon uses.
func fixture(_ name: String) -> String {
    let file = "\(#filePath)"
    let dir = file[..<file.lastIndex(of: "/")!]
    return "\(dir)/Fixtures/\(name)"
}

@Suite struct FixtureTreeTests {
    @Test func linux618() throws {
        var reader = ProcReader(root: fixture("linux-6.18-x86_64"))
        let stat = try reader.stat().get()
        #expect(stat.cores.count == 2)
        #expect(stat.total.user == 8449)
        let mem = try reader.meminfo().get()
        #expect(mem.totalBytes == 24_684_096 * 1024)
        #expect(mem.availableBytes == 24323016 * 1024)
        let load = try reader.loadavg().get()
        #expect(load.threads == 83)
        let tcp = try reader.tcpStates().get()
        #expect(tcp.established == 10)   // 6 over IPv4, 4 over IPv6
        #expect(tcp.counts[9] == 3)      // listen
        #expect(tcp.counts[5] == 12)     // time_wait
        #expect(try reader.uptime().get() == 645.54)
    }

    @Test func linux419WithoutIPv6() throws {
        var reader = ProcReader(root: fixture("linux-4.19-armv7-noipv6") + "/")
        let stat = try reader.stat().get()
        #expect(stat.cores.count == 4)
        #expect(try reader.meminfo().get().usedBytes == (948_056 - 712_428) * 1024)
        let load = try reader.loadavg().get()
        #expect(load.runnable == 2 && load.threads == 198)
        let tcp = try reader.tcpStates().get()   // no net/tcp6: absent, not an error
        #expect(tcp.established == 2)
        #expect(tcp.counts[9] == 2)
        #expect(tcp.counts[7] == 1)              // close_wait
    }

    @Test func missingFilesAreNamedErrors() {
        var reader = ProcReader(root: fixture("does-not-exist"))
        guard case .failure(let e) = reader.meminfo() else { Issue.record("expected failure"); return }
        #expect(e.source == "meminfo")
        #expect(e.message.contains("No such file"))
        guard case .failure(let t) = reader.tcpStates() else { Issue.record("expected failure"); return }
        #expect(t.source == "net/tcp")
    }
}
