import Foundation
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
