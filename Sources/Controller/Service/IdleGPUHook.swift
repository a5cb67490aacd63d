import Foundation
import Logging

/// Runs the admins' program for a job newly flagged as holding idle GPUs (`schedulerd --idle-gpu-hook`), so
/// a site can tell its owner (a mail, a chat message). The program is run directly (no shell), as the
/// controller's user, with the job in its environment (`RASPORED_JOB_ID`, `RASPORED_JOB_USER`, …) and
/// nothing of the controller's but PATH; its output goes to the controller's log, and it is killed after
/// `timeout` seconds.
struct IdleGPUHook: Sendable {
    let program: String
    var timeout: Double = 30

    /// Starts the program for `variables` and returns at once; the outcome is logged.
    func run(_ variables: [String: String], logger: Logger) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        var environment = variables
        environment["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        let job = variables["RASPORED_JOB_ID"] ?? "?"
        process.terminationHandler = { p in
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let metadata: Logger.Metadata = [
                "job": "\(job)", "status": "\(p.terminationStatus)",
                "output": "\(text.trimmingCharacters(in: .whitespacesAndNewlines).prefix(2000))",
            ]
            if p.terminationReason == .exit && p.terminationStatus == 0 {
                logger.info("idle-GPU hook ran", metadata: metadata)
            } else {
                logger.warning("idle-GPU hook failed", metadata: metadata)
            }
        }
        do {
            try process.run()
        } catch {
            logger.error("cannot run the idle-GPU hook", metadata: ["program": "\(program)", "error": "\(error)"])
            return
        }
        let pid = process.processIdentifier
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
            if process.isRunning { kill(pid, SIGKILL) }
        }
    }
}
