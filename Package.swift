// swift-tools-version:6.0
// procstream: a per-second /proc metrics stream over Server-Sent Events.
// No package dependencies: every byte of the static binary is ours or the toolchain's.
import PackageDescription

/// Sources/procstreamd/link: searched first by procstreamd's link (see that target).
let linkDirectory = String(#filePath.dropLast("Package.swift".count)) + "Sources/procstreamd/link"

let package = Package(
    name: "procstream",
    products: [
        .executable(name: "procstreamd", targets: ["procstreamd"]),
    ],
    targets: [
        // Linux headers Swift's Glibc module does not export (epoll, timerfd, signalfd, eventfd,
        // netlink sock_diag) plus fixed-arity wrappers for variadic calls.
        .target(name: "CLinux"),
        // libsystemd's sd-daemon API, found through pkg-config.
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        // The only module that makes raw syscalls: descriptors, errno, sockets, epoll, timers.
        .target(name: "Posix", dependencies: ["CLinux"]),
        // Pure parsers of /proc files and sock_diag replies: bytes in, values or errors out.
        .target(name: "ProcParsers"),
        // Readers that fetch those bytes: files under a proc root, a netlink sock_diag socket.
        .target(name: "ProcFS", dependencies: ["Posix", "ProcParsers"]),
        // One collector per source, the ordered registry, and the snapshot's JSON.
        .target(name: "Collectors", dependencies: ["Posix", "ProcFS", "ProcParsers"]),
        // HTTP/1.1 request parsing, responses and SSE framing: bytes in, bytes out.
        .target(name: "HTTP"),
        // The live page: HTML, CSS and JS under Sources/LivePage/web, embedded at build time by
        // the EmbedPage plugin (a raw string literal per file; nothing is read at run time).
        .target(name: "LivePage", plugins: ["EmbedPage"]),
        .plugin(name: "EmbedPage", capability: .buildTool(), dependencies: ["EmbedPageTool"]),
        // The generator the plugin runs on the build host (Glibc only); not part of the daemon.
        .executableTarget(name: "EmbedPageTool", path: "Plugins/EmbedPageTool"),
        // The connection state machine (request and stream phase), history, routing, access.
        .target(name: "Streaming", dependencies: ["HTTP", "LivePage"]),
        // The daemon: configuration, the loop's wiring, the tick, the connection driver, systemd.
        .target(name: "Procstream", dependencies: ["Posix", "Collectors", "HTTP", "Streaming", "CSystemd"]),
        // Linked by lld with packed relative relocations (DT_RELR, glibc 2.36+, Debian 12): the
        // relocation table shrinks from ~360 KB to ~3 KB, which ld.so no longer reads and keeps
        // mapped at start: about 0.45 MB less idle RSS. And with libstdc++ static: link/ holds a
        // linker script named libstdc++.so that the runtime's -lstdc++ finds first and that names
        // libstdc++.a: about 0.9 MB less idle RSS, 85 KB more binary (README "Performance").
        .executableTarget(name: "procstreamd", dependencies: ["Procstream"], exclude: ["link"],
                          linkerSettings: [.unsafeFlags(["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
                                                         "-L", linkDirectory])]),
        // Micro-benchmark of one collection and one serialisation (README "Performance").
        .executableTarget(name: "procstream-bench", dependencies: ["Procstream", "Posix"]),

        .testTarget(name: "PosixTests", dependencies: ["Posix"]),
        .testTarget(name: "ProcFSTests", dependencies: ["ProcFS", "ProcParsers"], exclude: ["Fixtures"]),
        .testTarget(name: "CollectorsTests", dependencies: ["Collectors"]),
        .testTarget(name: "StreamingTests", dependencies: ["Streaming"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP"]),
        .testTarget(name: "LivePageTests", dependencies: ["LivePage"]),
        .testTarget(name: "ProcstreamTests", dependencies: ["Procstream", "Streaming", "HTTP", "Collectors", "Posix"]),
        .testTarget(name: "EndToEndTests", dependencies: ["Procstream"], exclude: ["Golden"]),
    ]
)
