import Foundation
import GRDB
import Testing

@testable import Controller
@testable import Scheduler

let t0: Int64 = 1_700_000_000

/// A fresh state directory under the system's temporary directory, removed after `body`.
func withStateDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("raspored-store-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: dir) }
    return try body(dir)
}

func submission(_ name: String = "train", user: String = "ana", gpus: Int = 2, noRequeue: Bool = false) -> JobSubmission
{
    JobSubmission(
        name: name, user: user, account: "research", partition: "gpu",
        request: ResourceRequest(gpus: gpus, memory: .gibibytes(64), partition: "gpu", time: .hours(4)),
        timeLimit: .hours(4), noRequeue: noRequeue, command: ["python", "train.py", "--lr", "3e-4"],
        workdir: "/home/\(user)", output: "%j.out")
}

func allocation(_ nodes: String...) -> AllocationView {
    AllocationView(
        nodes: nodes.map {
            NodeAllocationView(
                node: $0, gpus: [4, 5], cores: [56, 57], cpus: [56, 57, 168, 169], numa: [1],
                memoryBytes: ["1": 64 << 30], nics: ["mlx5_6", "mlx5_9"], scratchBytes: 0, exclusive: false)
        }, gpuModel: "H200", sharedStorageBytes: 0)
}

/// A state directory whose database stops at migration `version`, as a controller of that version left it:
/// one pending job 'old' of ana's (2 GPUs, `python train.py`), and whatever `more` SQL adds. Removed by the
/// caller.
func oldStateDirectory(upTo version: String, more: String = "") async throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("raspored-old-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let pool = try DatabasePool(path: dir + "/" + StateStore.fileName)
    try StateStore.migrator.migrate(pool, upTo: version)
    try await pool.write { db in
        try db.execute(
            sql: """
                INSERT INTO jobs (name, user, account, partition, request, time_limit, state, submit_time,
                    command, workdir)
                VALUES ('old', 'ana', 'ivi', 'gpu', '{"gpus":2,"exclusive":false,"sameNuma":false}', 3600,
                    'pending', \(t0), '["python","train.py"]', '/home/ana');
                \(more)
                """)
    }
    try pool.close()
    return dir
}
