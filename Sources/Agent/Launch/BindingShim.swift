import CAgentShims
import CNuma
import Glibc
import RasporedAPI

/// The small program the launcher runs in front of every job (`schedagent exec-bound`): it binds the
/// process's CPUs and memory, then replaces itself with the job's command. Binding therefore happens
/// before any of the job's own code runs, and every thread and child the job creates inherits it. It also
/// gives the job default signal actions and an empty signal mask, whatever the agent had.
public enum BindingShim {
    /// Binds and execs (`raspored_exec_bound`, the same C code as the `raspored-exec` shim); returns only on
    /// failure, with exit status 127, having written the reason to stderr and to `statusFile`. Binding
    /// failures start with "binding failed: ", so the launcher's record can tell them from a missing command.
    public static func execBound(cpus: [Int], mems: [Int], command: [String], statusFile: String?) -> Int32 {
        let c = cpus.map(Int32.init), m = mems.map(Int32.init)
        var argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) }
        argv.append(nil)
        return c.withUnsafeBufferPointer { cp in
            m.withUnsafeBufferPointer { mp in
                raspored_exec_bound(cp.baseAddress, Int32(cp.count), mp.baseAddress, Int32(mp.count), &argv, statusFile)
            }
        }
    }

    /// The logical CPUs this process may run on (sched_getaffinity).
    public static func allowedCPUs() -> [Int] {
        var buffer = [Int32](repeating: 0, count: 4096)
        let n = raspored_allowed_cpus(&buffer, Int32(buffer.count))
        return n < 0 ? [] : buffer.prefix(Int(n)).map(Int.init)
    }

    private static func errorText(_ e: Int32) -> String { "\(String(cString: strerror(e))) (errno \(e))" }

    static func ranges(_ ids: [Int]) -> String { NodeCheck.ranges(ids) }
}
