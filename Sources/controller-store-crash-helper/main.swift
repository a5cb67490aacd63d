// Opens a state store and submits jobs one at a time, writing "INDEX ID" on stdout after each submit
// returns, that is after its commit. ControllerTests kills it with SIGKILL mid-burst and checks that every
// id it printed survived. Not a product: a test fixture that must be a separate process.
import Controller
import Foundation
import Scheduler

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: controller-store-crash-helper STATE_DIR [COUNT]\n".utf8))
    exit(2)
}
let limit = arguments.count >= 3 ? Int(arguments[2]) ?? Int.max : Int.max
do {
    let store = try StateStore(directory: arguments[1], create: true)
    var index = 0
    while index < limit {
        let id = try store.submit(
            JobSubmission(
                name: "burst-\(index)", user: "crash", account: "research", partition: "gpu",
                request: ResourceRequest(gpus: index % 8 + 1), timeLimit: .minutes(Int64(index % 60 + 1)),
                command: ["echo", "\(index)"], workdir: "/tmp"),
            at: .seconds(1_700_000_000 + Int64(index)))
        // Straight to the file descriptor: nothing buffered in this process when it is killed.
        FileHandle.standardOutput.write(Data("\(index) \(id)\n".utf8))
        index += 1
    }
} catch {
    FileHandle.standardError.write(Data("controller-store-crash-helper: \(error)\n".utf8))
    exit(1)
}
