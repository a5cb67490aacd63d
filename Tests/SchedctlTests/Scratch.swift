import Foundation
import Glibc

/// Where schedctl's tests put their files: one directory per test process (`/tmp/schedctl-tests-PID`),
/// removed when the process exits. A process that was killed leaves its directory, which the next run
/// removes once that pid is gone.
enum Scratch {
    static let root: URL = {
        let tmp = FileManager.default.temporaryDirectory
        for name in (try? FileManager.default.contentsOfDirectory(atPath: tmp.path)) ?? [] {
            guard name.hasPrefix("schedctl-tests-"), let pid = Int32(name.dropFirst("schedctl-tests-".count)),
                pid != getpid(), kill(pid, 0) != 0, errno == ESRCH
            else { continue }
            try? FileManager.default.removeItem(at: tmp.appendingPathComponent(name))
        }
        let url = tmp.appendingPathComponent("schedctl-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: Scratch.root) }
        return url
    }()
}
