import Foundation
import RasporedAPI
import Synchronization
import Testing

@testable import Controller
@testable import Scheduler

/// A clock tests move by hand, starting at t0.
final class TestClock: Sendable {
    private let value = Mutex<Int64>(t0)

    var now: Int64 { value.withLock { $0 } }
    func set(_ t: Int64) { value.withLock { $0 = t } }
    /// The clock as the core reads it.
    var read: @Sendable () -> Int64 { { [self] in self.now } }
}

/// A core over a fresh state directory whose clock `body` moves; `spec` defaults to the platform's.
func withClockedCore<T>(
    spec: ClusterSpec? = nil, _ body: (ControllerCore, StateStore, TestClock) async throws -> T
) async throws -> T {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("raspored-clocked-\(UUID().uuidString)")
        .path
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = try StateStore(directory: dir, create: true)
    let clock = TestClock()
    let core = try ControllerCore(
        spec: try spec ?? platformSpec(), store: store, settings: noAgents, logger: quietLogger, clock: clock.read)
    return try await body(core, store, clock)
}

/// A job of `gpus` GPUs for `time`, charged to `account`.
func job(gpus: Int, time: TimeSpan = .hours(1), account: String = "ivi") -> SubmitRequest {
    SubmitRequest(
        request: ResourceRequest(gpus: gpus, account: account, time: time), command: ["python", "train.py"],
        workdir: "/home/ana")
}

/// Drains every node but `keep`, so it is the only one that takes work.
func drainAllBut(_ keep: String, _ core: ControllerCore) async throws {
    for n in try platformSpec().nodes.map(\.name) where n != keep {
        _ = try await core.drain(n, reason: "test: only \(keep) takes work", by: root)
    }
}
