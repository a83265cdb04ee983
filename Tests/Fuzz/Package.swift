// swift-tools-version:6.0
// libFuzzer targets for procstream's parsers; see README.md. A package of its own so that the
// project's `swift build` / `swift test` never build them.
//
// SwiftPM only takes sources from inside the package, so Sources/HTTP and Sources/ProcParsers are
// symbolic links to the real modules in ../../Sources. Both are pure (no syscalls, no other
// module), so nothing else of the root package's graph is needed here.
import PackageDescription

let package = Package(
    name: "procstream-fuzz",
    targets: [
        .target(name: "ProcParsers"),
        .target(name: "HTTP"),
        .executableTarget(name: "FuzzHTTP", dependencies: ["HTTP"]),
        .executableTarget(name: "FuzzProc", dependencies: ["ProcParsers"]),
    ]
)
