// swift-tools-version: 6.1
import Foundation
import PackageDescription

/// `RASPORED_TARGET_CPU=<cpu>` in the environment (e.g. `haswell`: x86-64-v3, with AVX2, BMI, LZCNT and POPCNT,
/// as on every x86 server since 2013, the platform's Xeon 8480C among them) compiles the engine's release builds
/// for that CPU (`-target-cpu`). Without it they target the compiler's default for the platform (on x86-64 the
/// 2003 baseline, where counting a bit set's members, which the engine does on every placement, commit and
/// release, takes a dozen instructions rather than one `popcnt`). It is opt-in because the flag is an
/// `unsafeFlags` setting, which SwiftPM refuses in a package that another depends on by version: left unset,
/// `Scheduler` can be such a dependency. Debug builds and the tests never take the flag.
let engineSettings: [SwiftSetting] = {
    guard let cpu = ProcessInfo.processInfo.environment["RASPORED_TARGET_CPU"], !cpu.isEmpty else { return [] }
    return [.unsafeFlags(["-target-cpu", cpu], .when(configuration: .release))]
}()

/// Where `schedctl` is linked as a static executable (below), and the archives a statically linked Foundation
/// needs besides those its importers name.
let staticRelease = BuildSettingCondition.when(platforms: [.linux], configuration: .release)
let staticFoundation = [
    "CoreFoundation", "_FoundationICU", "FoundationInternationalization", "FoundationEssentials",
    "_FoundationCShims", "_FoundationCollections", "swiftSynchronization", "swiftDispatch", "dispatch",
    "BlocksRuntime",
]

let package = Package(
    name: "raspored",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Scheduler", targets: ["Scheduler"]),
        .executable(name: "schedctl", targets: ["schedctl"]),
        .library(name: "Agent", targets: ["Agent"]),
        .executable(name: "schedagent", targets: ["schedagent"]),
        .executable(name: "srun", targets: ["srun"]),
        .executable(name: "scontrol", targets: ["scontrol"]),
        .library(name: "Controller", targets: ["Controller"]),
        .library(name: "RasporedAPI", targets: ["RasporedAPI"]),
        .executable(name: "schedulerd", targets: ["schedulerd"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.0"..<"5.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.0"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.20.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.27.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.0.0"),
    ],
    targets: [
        /// The decision engine: cluster model, placement, policies. Pure: no I/O but explicit readers.
        .target(
            name: "Scheduler",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                .product(name: "Collections", package: "swift-collections"),
            ],
            exclude: ["README.md"],
            swiftSettings: engineSettings
        ),
        /// The certificates a client (agent, schedctl) trusts from an `https` controller.
        .target(name: "ClientTrust", dependencies: [.product(name: "NIOSSL", package: "swift-nio-ssl")]),
        /// schedctl's commands as a library, so tests can drive them without a shell.
        .target(
            name: "SchedctlCore",
            dependencies: [
                "Scheduler", "RasporedAPI", "ClientTrust", "CSchedctlHandoff",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "WSClient", package: "swift-websocket"),
            ]
        ),
        /// Linked as a static executable in Linux release builds (`-static-executable`): the Swift runtime,
        /// Foundation, the C and C++ libraries and everything else built in, at fixed addresses. A script's loop
        /// of submits starts it once per job, and a dynamically linked start (loading the shared libraries,
        /// applying the relocations of every pointer in the data, binding symbols) is a large part of each.
        /// The modules are compiled against the shared Foundation, whose objects do not name the archives the
        /// static one needs, so they are named here; ICU's archive needs the C++ library after it, hence the
        /// trailing `-lstdc++`. glibc resolves host names from /etc/hosts and DNS itself in a static
        /// executable; schedctl looks up no users or groups. The flags are this executable's alone: SwiftPM
        /// refuses `unsafeFlags` only in the targets of a product another package uses, and `Scheduler` stays
        /// free of them.
        .executableTarget(
            name: "schedctl", dependencies: ["SchedctlCore", "CSchedctlFront"],
            linkerSettings: staticFoundation.map { .linkedLibrary($0, staticRelease) } + [
                .unsafeFlags(["-static-executable", "-Xlinker", "-lstdc++", "-Xlinker", "-lm"], staticRelease)
            ]
        ),
        /// hwloc (topology discovery), from Debian's libhwloc-dev.
        .systemLibrary(name: "CHwloc", pkgConfig: "hwloc", providers: [.apt(["libhwloc-dev"])]),
        /// libnuma (memory binding), from Debian's libnuma-dev; it ships no pkg-config file.
        .systemLibrary(name: "CNuma", providers: [.apt(["libnuma-dev"])]),
        /// The few Linux calls Swift cannot import directly (CPU_SET macros, SIG_DFL); see shim.c.
        .target(name: "CAgentShims", linkerSettings: [.linkedLibrary("numa")]),
        /// The binding shim every job starts through (C: an exec's cost, not a Swift runtime's).
        .executableTarget(name: "raspored-exec", dependencies: ["CAgentShims"]),
        /// What a schedctl client and the schedctl server it hands a command to share: the socket's place,
        /// the same-user checks, the descriptors' passing (docs/schedctl.md, "In scripts").
        .target(name: "CSchedctlHandoff"),
        /// The client's side, run before `main` in the schedctl executable alone: a `submit` goes to the
        /// user's server when one is up, before the Swift runtime loads.
        .target(name: "CSchedctlFront", dependencies: ["CSchedctlHandoff"]),
        /// What `srun` and `scontrol` share: becoming a subcommand of the schedctl beside them.
        .target(name: "CSchedctlExec"),
        /// `srun` on a job's PATH: `schedctl run`, the schedctl beside it.
        .executableTarget(name: "srun", dependencies: ["CSchedctlExec"]),
        /// `scontrol` on a job's PATH: `schedctl scontrol` (host lists), the schedctl beside it.
        .executableTarget(name: "scontrol", dependencies: ["CSchedctlExec"]),
        /// The node agent: hwloc discovery, the check against cluster.yaml, the job launcher, its state.
        .target(
            name: "Agent",
            dependencies: [
                "Scheduler", "RasporedAPI", "CHwloc", "CNuma", "CAgentShims",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "WSClient", package: "swift-websocket"),
            ]
        ),
        .executableTarget(
            name: "schedagent",
            dependencies: [
                "Agent", "ClientTrust", "Scheduler", "RasporedAPI", "raspored-exec", "srun", "scontrol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        /// The HTTP API's wire types (requests, views, errors), shared by the controller and its clients.
        .target(name: "RasporedAPI", dependencies: ["Scheduler"]),
        /// The controller service: the durable state store (SQLite through GRDB), tokens, the service core
        /// that runs the engine against the store, and the HTTP API (Hummingbird).
        .target(
            name: "Controller",
            dependencies: [
                "Scheduler", "RasporedAPI",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "WSCore", package: "swift-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        /// The controller daemon: parses its options, opens the state, serves the API until SIGTERM/SIGINT.
        .executableTarget(
            name: "schedulerd",
            dependencies: [
                "Controller", "RasporedAPI", "Scheduler",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        /// Measures a running controller: submissions per second, time from a burst to all started.
        .executableTarget(
            name: "raspored-bench",
            dependencies: [
                "RasporedAPI", "Scheduler",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ]
        ),
        /// Submits jobs in a loop, printing each acknowledged id; ControllerTests kills it with SIGKILL.
        .executableTarget(
            name: "controller-store-crash-helper",
            dependencies: ["Controller", "Scheduler"]
        ),
        .testTarget(
            name: "ControllerTests",
            dependencies: [
                "Controller", "Scheduler", "RasporedAPI", "Agent",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        /// End to end: the real daemons over loopback HTTP, jobs as real processes.
        .testTarget(
            name: "ClusterTests",
            dependencies: [
                "RasporedAPI", "Scheduler", "TestAccounts", "CAgentShims", "CSchedctlHandoff",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        /// Real Unix accounts for the tests of job identity (useradd/userdel; needs root).
        .target(name: "TestAccounts", path: "Tests/TestAccounts"),
        .testTarget(
            name: "AgentTests",
            dependencies: [
                "Agent", "Scheduler", "RasporedAPI", "TestAccounts",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .testTarget(
            name: "SchedulerTests",
            dependencies: ["Scheduler"]
        ),
        .testTarget(
            name: "SchedctlTests",
            dependencies: [
                "SchedctlCore", "Scheduler", "RasporedAPI", "CSchedctlHandoff",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            exclude: ["Golden"]
        ),
    ]
)
