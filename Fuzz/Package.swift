// swift-tools-version: 6.1
// Coverage-guided fuzzers (libFuzzer) of the readers of everything a client sends. A package of its own,
// so the tests' build never compiles with the fuzzer's instrumentation. Run: scripts/fuzz.sh.
import PackageDescription

let package = Package(
    name: "raspored-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "raspored", path: "../")],
    targets: [
        .target(name: "CFuzzer"),
        .executableTarget(
            name: "FuzzRequests",
            dependencies: [
                "CFuzzer",
                .product(name: "Scheduler", package: "raspored"),
                .product(name: "RasporedAPI", package: "raspored"),
            ]
        ),
    ]
)
