import Foundation
import Testing

@testable import Controller
@testable import Scheduler

/// The helper executable, built beside the test binary by `swift build --build-tests`.
private func helperPath() throws -> String {
    if let path = ProcessInfo.processInfo.environment["RASPORED_CRASH_HELPER"] { return path }
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
    // On macOS the test binary sits inside an .xctest bundle; climb out of it.
    while dir.path.contains(".xctest") { dir.deleteLastPathComponent() }
    let path = dir.appendingPathComponent("controller-store-crash-helper").path
    guard FileManager.default.isExecutableFile(atPath: path) else {
        throw CrashTestError(
            "no controller-store-crash-helper beside the tests (\(path)); build with `swift build --build-tests`")
    }
    return path
}

private struct CrashTestError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

@Suite struct CrashTests {
    /// A process submitting in a loop is killed with SIGKILL mid-burst; every id it printed (after
    /// `submit` returned) must be in the reopened store, whole, and the file must pass integrity_check.
    @Test(.timeLimit(.minutes(2)))
    func everyAcknowledgedSubmissionSurvivesSIGKILL() throws {
        try withStateDirectory { dir in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try helperPath())
            process.arguments = [dir]
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            let pid = process.processIdentifier
            // A watchdog so a stuck helper fails the test instead of hanging it.
            let watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
            DispatchQueue.global().asyncAfter(deadline: .now() + 60, execute: watchdog)

            var text = ""
            var acknowledged = 0
            let wanted = 200 + Int.random(in: 0..<100)
            while acknowledged < wanted {
                let data = out.fileHandleForReading.availableData
                if data.isEmpty { break }  // the helper ended early
                text += String(decoding: data, as: UTF8.self)
                acknowledged = text.filter { $0 == "\n" }.count
            }
            kill(pid, SIGKILL)
            process.waitUntilExit()
            watchdog.cancel()
            #expect(process.terminationReason == .uncaughtSignal)
            #expect(process.terminationStatus == SIGKILL)
            // Lines printed between our last read and the kill were acknowledged too.
            text += String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            // A final line without its newline was cut mid-write: not an acknowledgement.
            let complete = lines.dropLast().map { $0.split(separator: " ").compactMap { Int64($0) } }
            #expect(complete.count >= 200, "the helper acknowledged only \(complete.count) submissions")

            let store = try StateStore(directory: dir, create: false)
            #expect(try store.integrityCheck() == ["ok"])
            var missing: [Int64] = []
            for pair in complete {
                try #require(pair.count == 2, "malformed line from the helper")
                let (index, id) = (pair[0], pair[1])
                guard let job = try store.job(id) else {
                    missing.append(id)
                    continue
                }
                #expect(job.name == "burst-\(index)")
                #expect(job.state == .pending)
                #expect(job.user == "crash")
                #expect(job.request == ResourceRequest(gpus: Int(index % 8 + 1)))
                #expect(job.timeLimit == .minutes(index % 60 + 1))
                #expect(job.command == ["echo", "\(index)"])
                #expect(job.submitTime == 1_700_000_000 + index)
            }
            #expect(missing.isEmpty, "acknowledged but lost: \(missing)")
            // Ids were acknowledged in order, and nothing after the last one is half-written.
            #expect(complete.map { $0[1] } == complete.map { $0[1] }.sorted())
            #expect(try store.jobs().count >= complete.count)
            // The store takes new work after the crash.
            #expect(try store.submit(submission(), at: .seconds(t0)) > complete.map { $0[1] }.max() ?? 0)
        }
    }
}
