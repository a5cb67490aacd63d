import Foundation

/// Where this node's cgroup controllers are mounted, and where the agent itself sits in them, from
/// `/proc/self/mountinfo` and `/proc/self/cgroup`.
///
/// Two layouts are in use on GPU nodes: cgroup v2 alone (the unified hierarchy, DGX OS 6 and every current
/// distribution's default), and v1 hierarchies, one per controller, with an empty v2 hierarchy beside them
/// ("hybrid", older hosts and this project's CI machine). A node whose v1 hierarchies carry the memory
/// controller is run on v1; otherwise on v2.
public struct CgroupLayout: Sendable, Hashable {
    public enum Version: String, Sendable, Hashable { case v1, v2 }

    /// Which of the two the jobs' cgroups are made in.
    public var version: Version
    /// v1: each controller's mount point ("memory" → "/sys/fs/cgroup/memory"); co-mounted controllers
    /// ("cpu,cpuacct") share one.
    public var v1Mounts: [String: String]
    /// The cgroup v2 mount point, if any.
    public var unifiedMount: String?
    /// The agent's own cgroup in each hierarchy, from the hierarchy's root: the v1 controller's name, or
    /// "" for v2 ("memory" → "/process_api/abc", "" → "/").
    public var own: [String: String]

    public init(version: Version, v1Mounts: [String: String], unifiedMount: String?, own: [String: String]) {
        self.version = version
        self.v1Mounts = v1Mounts
        self.unifiedMount = unifiedMount
        self.own = own
    }

    /// The v1 controllers the agent uses for a job: limits (cpuset, memory, pids, devices), accounting
    /// (cpuacct) and freezing the job to kill it (freezer).
    public static let v1Controllers = ["cpuset", "memory", "pids", "devices", "cpuacct", "freezer"]

    /// The v2 controllers the agent enables for jobs.
    public static let v2Controllers = ["cpuset", "memory", "pids"]

    /// This machine's layout; nil when no cgroup hierarchy usable for jobs is mounted.
    public static func detect() -> CgroupLayout? {
        guard let mountinfo = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return nil }
        let membership = (try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) ?? ""
        return parse(mountinfo: mountinfo, cgroup: membership)
    }

    /// The layout that `mountinfo` (as /proc/self/mountinfo) and `cgroup` (as /proc/self/cgroup) describe.
    public static func parse(mountinfo: String, cgroup: String) -> CgroupLayout? {
        var v1: [String: String] = [:]
        var unified: String?
        for line in mountinfo.split(separator: "\n") {
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2 else { continue }
            let fields = halves[0].split(separator: " ")
            let tail = halves[1].split(separator: " ")
            guard fields.count >= 5, tail.count >= 3 else { continue }
            let mountPoint = unescape(String(fields[4]))
            switch tail[0] {
            case "cgroup2":
                if unified == nil { unified = mountPoint }
            case "cgroup":
                for option in tail[2].split(separator: ",") where v1Controllers.contains(String(option)) {
                    if v1[String(option)] == nil { v1[String(option)] = mountPoint }
                }
            default: continue
            }
        }
        var own: [String: String] = [:]
        for line in cgroup.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            let path = String(parts[2])
            if parts[1].isEmpty {
                own[""] = path
            } else {
                for name in parts[1].split(separator: ",") { own[String(name)] = path }
            }
        }
        if v1["memory"] != nil { return CgroupLayout(version: .v1, v1Mounts: v1, unifiedMount: unified, own: own) }
        if unified != nil { return CgroupLayout(version: .v2, v1Mounts: [:], unifiedMount: unified, own: own) }
        return nil
    }

    /// mountinfo writes a space as \040, a tab \011, a newline \012, a backslash \134.
    static func unescape(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        var out = [UInt8]()
        let b = Array(s.utf8)
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "\\"), i + 3 < b.count,
                let v = UInt8(String(decoding: b[(i + 1)...(i + 3)], as: UTF8.self), radix: 8)
            {
                out.append(v)
                i += 4
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The directory of `relative` in one hierarchy: from the hierarchy's root when it starts with "/",
    /// else below the agent's own cgroup there.
    func directory(mount: String, ownKey: String, _ relative: String) -> String {
        let base = relative.hasPrefix("/") ? "" : (own[ownKey] ?? "/")
        let joined = (base + "/" + relative).split(separator: "/").joined(separator: "/")
        return joined.isEmpty ? mount : mount + "/" + joined
    }

    /// The hierarchies a job's cgroup is made in: (key, mount point), one per mount. On v1 the key is the
    /// first controller of `v1Controllers` mounted there; on v2 it is "".
    var hierarchies: [(key: String, mount: String)] {
        switch version {
        case .v2: return unifiedMount.map { [("", $0)] } ?? []
        case .v1:
            var seen = Set<String>()
            return Self.v1Controllers.compactMap { c in
                guard let m = v1Mounts[c], seen.insert(m).inserted else { return nil }
                return (c, m)
            }
        }
    }
}
