import Foundation
import Logging
import RasporedAPI
import Testing

@testable import Controller
@testable import Scheduler

/// The platform's cluster.yaml (6 × DGX H200), read as the daemon reads it.
func platformSpec() throws -> ClusterSpec {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    return try ClusterSpec.load(file: root.appendingPathComponent("cluster.yaml").path)
}

let ana = Principal(tokenId: 1, user: "ana", role: .user)
let bo = Principal(tokenId: 2, user: "bo", role: .user)
let root = Principal(tokenId: 3, user: "admin", role: .admin)

/// A submission of `gpus` GPUs charged to account ivi.
func submit(gpus: Int, memory: ByteSize? = nil, partition: String? = nil) -> SubmitRequest {
    SubmitRequest(
        request: ResourceRequest(gpus: gpus, memory: memory, partition: partition, account: "ivi", time: .hours(1)),
        command: ["python", "train.py"], workdir: "/home/ana")
}

/// A core over a fresh state directory, removed after `body`; the clock stands still at t0 unless given.
func withCore<T>(
    clock: @escaping @Sendable () -> Int64 = { t0 }, _ body: (ControllerCore, StateStore, String) async throws -> T
) async throws -> T {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("raspored-core-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = try StateStore(directory: dir, create: true)
    let core = try ControllerCore(
        spec: try platformSpec(), store: store, settings: noAgents, logger: quietLogger, clock: clock)
    return try await body(core, store, dir)
}

/// Tests' logger: silent.
let quietLogger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

/// Tests of the core alone: every node takes work without an agent.
let noAgents = ControllerSettings(requireAgents: false)
