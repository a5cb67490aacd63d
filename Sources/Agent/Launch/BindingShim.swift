import RasporedAPI
import CAgentShims
import CNuma
import Glibc

/// The small program the launcher runs in front of every job (`schedagent exec-bound`): it binds the
/// process's CPUs and memory, then replaces itself with the job's command. Binding therefore happens
/// before any of the job's own code runs, and every thread and child the job creates inherits it. It also
/// gives the job default signal actions and an empty signal mask, whatever the agent had.
public enum BindingShim {
    /// Binds and execs; returns only on failure, with the message to print (exit status 127 then). Binding
    /// failures start with "binding failed: ", so the launcher's record can tell them from a missing command.
    public static func execBound(cpus: [Int], mems: [Int], command: [String]) -> String {
        guard !command.isEmpty else { return "no command to run" }
        if raspored_reset_signals() != 0 { return "sigprocmask failed: \(errorText(errno))" }
        if !cpus.isEmpty {
            let ints = cpus.map(Int32.init)
            let rc = ints.withUnsafeBufferPointer { raspored_bind_cpus($0.baseAddress, Int32($0.count)) }
            if rc != 0 { return "binding failed: sched_setaffinity(\(ranges(cpus))): \(errorText(errno))" }
        }
        if !mems.isEmpty {
            if let message = bindMemory(mems) { return message }
        }
        var argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) }
        argv.append(nil)
        execvp(command[0], &argv)
        return "cannot execute \(command[0]): \(errorText(errno))"
    }

    /// MPOL_BIND to `mems` through set_mempolicy (libnuma's numaif.h wrapper, which reports errno,
    /// where numa_set_membind only prints).
    private static func bindMemory(_ mems: [Int]) -> String? {
        guard numa_available() >= 0 else {
            // Without NUMA support the whole machine is node 0: binding to it is binding to everything.
            if mems == [0] { return nil }
            return
                "binding failed: memory binding to NUMA \(ranges(mems)) requested, but the kernel has no NUMA support"
        }
        let bitsPerWord = UInt.bitWidth
        let maxNode = (mems.max() ?? 0) + 1
        var mask = [UInt](repeating: 0, count: (maxNode + bitsPerWord - 1) / bitsPerWord)
        for m in mems where m >= 0 { mask[m / bitsPerWord] |= 1 << UInt(m % bitsPerWord) }
        // maxnode counts bits; the kernel ignores the last one of it, hence + 1.
        let rc = set_mempolicy(MPOL_BIND, mask, UInt(mask.count * bitsPerWord + 1))
        return rc == 0 ? nil : "binding failed: set_mempolicy(MPOL_BIND, \(ranges(mems))): \(errorText(errno))"
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
