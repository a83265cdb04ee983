// swift-tools-version:6.0
// libFuzzer targets for procstream's parsers; see README.md. A package of its own so that the
// project's `swift build` / `swift test` never build them.
//
// SwiftPM only takes sources from inside the package, so Sources/HTTP, ProcFS, Posix and CLinux
// are symbolic links to the real modules in ../../Sources, and the targets below repeat their
// part of the root package's graph (keep the dependencies in step with ../../Package.swift).
import PackageDescription

let package = Package(
    name: "procstream-fuzz",
    targets: [
        .target(name: "CLinux"),
        .target(name: "Posix", dependencies: ["CLinux"]),
        .target(name: "ProcFS", dependencies: ["Posix"]),
        .target(name: "HTTP"),
        .executableTarget(name: "FuzzHTTP", dependencies: ["HTTP"]),
        .executableTarget(name: "FuzzProc", dependencies: ["ProcFS"]),
    ]
)
