import Foundation
import Glibc

/// Reads /proc to tell whether a job's processes still exist.
public enum ProcessProbe {
    /// Fields of /proc/PID/stat after the command name: state (field 3), pgrp (5), starttime (22).
    struct Stat {
        var state: Character
        var processGroup: Int32
        var startTicks: UInt64
    }

    static func stat(_ pid: Int32) -> Stat? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        // The command name may contain spaces and parentheses: split after the last ')'.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let state = fields[0].first, let pgrp = Int32(fields[2]),
            let start = UInt64(fields[19])
        else { return nil }
        return Stat(state: state, processGroup: pgrp, startTicks: start)
    }

    /// The start time of `pid` in clock ticks since boot, nil when there is no such process.
    public static func startTicks(_ pid: Int32) -> UInt64? { stat(pid)?.startTicks }

    /// Whether `pid` is running (not a zombie) and, when `startTicks` is given, is the same process.
    public static func isAlive(_ pid: Int32, startTicks: UInt64? = nil) -> Bool {
        guard let s = stat(pid), s.state != "Z", s.state != "X" else { return false }
        return startTicks == nil || s.startTicks == startTicks
    }

    /// Whether any non-zombie process is still in process group `pgid`.
    public static func groupIsAlive(_ pgid: Int32) -> Bool {
        if kill(-pgid, 0) != 0 && errno == ESRCH { return false }
        // Members may all be zombies waiting for a parent to reap them: look at their states.
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return true }
        for entry in entries {
            guard let pid = Int32(entry), let s = stat(pid), s.processGroup == pgid else { continue }
            if s.state != "Z" && s.state != "X" { return true }
        }
        return false
    }

    /// Sends `signal` (SIGKILL unless given) to process group `pgid` when it still has live members, all of
    /// which started no earlier than `startTicks` (the recorded start of its leader). A pgid stays reserved
    /// while any member lives, so the members are the job's descendants; the start-time check also refuses a
    /// group whose id was reused after the job's group emptied. Returns whether it sent the signal.
    public static func killGroup(_ pgid: Int32, startedNoEarlierThan startTicks: UInt64?, signal: Int32 = SIGKILL)
        -> Bool
    {
        guard pgid > 1, let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else {
            return false
        }
        var live = 0
        for entry in entries {
            guard let pid = Int32(entry), let s = stat(pid), s.processGroup == pgid, s.state != "Z", s.state != "X"
            else { continue }
            if let startTicks, s.startTicks < startTicks { return false }
            live += 1
        }
        guard live > 0 else { return false }
        return kill(-pgid, signal) == 0
    }

    /// The value of a "Key:" line of /proc/PID/status (e.g. Cpus_allowed_list), nil when absent.
    public static func status(_ pid: Int32, _ key: String) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            return line.dropFirst(key.count + 1).trimmingCharacters(in: .whitespaces)
        }
        return nil
    }
}
