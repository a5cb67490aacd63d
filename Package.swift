// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "raspored",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Scheduler", targets: ["Scheduler"]),
        .executable(name: "schedctl", targets: ["schedctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
    ],
    targets: [
        /// The decision engine: cluster model, placement, policies. Pure: no I/O but explicit readers.
        .target(
            name: "Scheduler",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                .product(name: "Collections", package: "swift-collections"),
            ]
        ),
        /// schedctl's commands as a library, so tests can drive them without a shell.
        .target(
            name: "SchedctlCore",
            dependencies: [
                "Scheduler",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "schedctl", dependencies: ["SchedctlCore"]),
        .testTarget(
            name: "SchedulerTests",
            dependencies: ["Scheduler"]
        ),
        .testTarget(
            name: "SchedctlTests",
            dependencies: ["SchedctlCore", "Scheduler"]
        ),
    ]
)
