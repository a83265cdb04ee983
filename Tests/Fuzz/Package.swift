// swift-tools-version:6.0
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
