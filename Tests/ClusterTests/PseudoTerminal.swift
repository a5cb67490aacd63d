import CAgentShims
import Foundation
import Glibc

/// A program run on a pseudo-terminal of the test's own, as a person at a terminal runs it: the test types
/// into the master and reads what the program writes, echoes included. The window is 40 × 100.
final class PseudoTerminal: @unchecked Sendable {
    let process = Process()
    private let master: Int32
    private let lock = NSLock()
    private var received: [UInt8] = []
    private var paused = false
    private var reader: Thread?

    static let rows: UInt16 = 40
    static let cols: UInt16 = 100

    /// Starts `binary` (built beside the tests) with `arguments` in `environment` (and a PATH, and no schedctl
    /// server unless it says so), in `directory`.
    init(_ binary: String, _ arguments: [String], environment: [String: String], directory: String) throws {
        var master: Int32 = -1, slave: Int32 = -1
        guard raspored_open_pty(&master, &slave, Self.rows, Self.cols) == 0 else {
            throw ClusterError("cannot open a pseudo-terminal: \(String(cString: strerror(errno)))")
        }
        self.master = master
        let handle = FileHandle(fileDescriptor: slave, closeOnDealloc: true)
        process.executableURL = URL(fileURLWithPath: try LocalCluster.binary(binary))
        process.arguments = arguments
        process.environment = ["PATH": "/usr/bin:/bin", "RASPORED_SCHEDCTL_SERVER": "off"].merging(environment) {
            _, given in given
        }
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardInput = handle
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        // Only the program holds the slave now: once it and its children are gone, reads end (EIO).
        try handle.close()
        let fd = master
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                while lock.withLock({ paused }) { usleep(10_000) }
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { break }
                lock.withLock { received += buffer[0..<n] }
            }
        }
        thread.start()
        reader = thread
    }

    /// Stops reading the terminal (a slow one: what the program writes waits in the kernel, then blocks
    /// its writes), or reads again.
    func pauseReading(_ pause: Bool) { lock.withLock { paused = pause } }

    /// Everything the program wrote so far.
    var output: String { lock.withLock { String(decoding: received, as: UTF8.self) } }

    /// Types `text` (a carriage return ends a line, as the Enter key sends; "\u{03}" is Ctrl-C).
    func type(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
    }

    /// Waits until the output holds `text`; throws with the output so far after `timeout` seconds, or when
    /// the program ended without it.
    func waitFor(_ text: String, timeout: Double = 60) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !output.contains(text) {
            if !process.isRunning {
                // The reader may be a read behind the program's end.
                try await Task.sleep(for: .milliseconds(200))
                if output.contains(text) { return }
                throw ClusterError("the program exited without '\(text)'; the terminal shows:\n\(output)")
            }
            guard Date() < deadline else {
                throw ClusterError("no '\(text)' within \(timeout) s; the terminal shows:\n\(output)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// The program's exit status once it has ended (killed after `timeout` seconds).
    func exitStatus(timeout: Double = 60) async throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            guard Date() < deadline else {
                stop()
                throw ClusterError("the program did not end within \(timeout) s; the terminal shows:\n\(output)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return process.terminationStatus
    }

    /// Kills the program if it still runs, and closes the terminal.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        close(master)
    }
}
