import CAgentShims
import Foundation
import Glibc
import Scheduler

/// One cgroup per job, under a subtree the agent owns: the allocation's CPUs and NUMA memory (cpuset), the
/// job's memory with no swap (memory), a process count limit (pids), and only the allocation's GPUs
/// (devices: v1 `devices.deny`, v2 a BPF device program). Every process of the job lives in it, so the
/// agent can end all of them, and reads the job's CPU time and peak memory from it.
public struct Confinement: Sendable, Hashable {
    /// How GPU device isolation is enforced.
    public enum DeviceFilter: String, Sendable, Hashable {
        /// v1's devices controller.
        case v1
        /// A BPF_CGROUP_DEVICE program on the job's cgroup in the unified (v2) hierarchy.
        case bpf
        /// None (no devices controller and no v2 hierarchy).
        case none
    }

    public var layout: CgroupLayout
    /// The subtree the jobs' cgroups are made in: from each hierarchy's root when it starts with "/", else
    /// below the agent's own cgroup (e.g. "raspored/dgx01").
    public var parent: String
    /// At most this many processes and threads per job (pids.max); nil for no limit.
    public var pidsMax: Int?
    /// The devices of the node's GPUs (`GPUDeviceMap`: NVIDIA's /dev/nvidiaN, or AMD's DRM card and render
    /// nodes), which a job's cgroup opens only for its own GPUs.
    public var gpuDevices: GPUDeviceMap
    public var deviceFilter: DeviceFilter

    /// `gpuMinors`: NVIDIA's device minor of each GPU (index in PCI bus order → N of /dev/nvidiaN; a GPU not
    /// listed has its index), used when `gpuDevices` is not given.
    public init(
        layout: CgroupLayout, parent: String, pidsMax: Int? = 16_384, gpuMinors: [Int: UInt32] = [:],
        gpuDevices: GPUDeviceMap? = nil, deviceFilter: DeviceFilter? = nil
    ) {
        self.layout = layout
        self.parent = parent
        self.pidsMax = pidsMax
        self.gpuDevices = gpuDevices ?? .nvidia(minors: gpuMinors, gpus: 64)
        self.deviceFilter =
            deviceFilter
            ?? (layout.version == .v2
                ? .bpf : layout.v1Mounts["devices"] != nil ? .v1 : layout.unifiedMount != nil ? .bpf : .none)
    }

    /// The minors of `/dev/nvidiaN` by PCI bus id, from the driver (`/proc/driver/nvidia/gpus/BUS/information`,
    /// "Device Minor: N"); empty on a node without the NVIDIA driver.
    public static func nvidiaMinors(busIds: [String]) -> [Int: UInt32] {
        var minors: [Int: UInt32] = [:]
        for (index, bus) in busIds.enumerated() {
            let path = "/proc/driver/nvidia/gpus/\(bus)/information"
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") where line.hasPrefix("Device Minor:") {
                if let m = UInt32(line.dropFirst("Device Minor:".count).trimmingCharacters(in: .whitespaces)) {
                    minors[index] = m
                }
            }
        }
        return minors
    }

    // MARK: - Making a job's cgroup

    /// Makes the cgroup of run `runId` with its limits: `cpus`/`mems` nil leave the parent's (an unbound
    /// job), `memoryLimit` nil or 0 sets none. Throws "confinement failed: …" with the path and the error.
    public func create(runId: String, cpus: [Int]?, mems: [Int]?, memoryLimit: UInt64?, gpus: [Int]) throws(LaunchError)
        -> JobCgroup
    {
        let name = "job_" + runId
        var cgroup = JobCgroup(version: layout.version, directories: [:])
        do {
            for (key, mount) in layout.hierarchies {
                let parentDir = layout.directory(mount: mount, ownKey: key, parent)
                // Every job sees to the parent levels, not only the first: a job that starts while another
                // is making them finds them made but not yet set (a v1 cpuset still empty, which no process
                // can join, or v2 controllers not yet handed down), and completes them itself.
                try makeParents(parentDir, mount: mount, key: key)
                let dir = parentDir + "/" + name
                try Self.makeJobDirectory(dir)
                cgroup.directories[key] = dir
            }
            if deviceFilter == .bpf, layout.version == .v1, let unified = layout.unifiedMount {
                let parentDir = layout.directory(mount: unified, ownKey: "", parent)
                try makeParents(parentDir, mount: unified, key: "")
                try Self.makeJobDirectory(parentDir + "/" + name)
                cgroup.directories[""] = parentDir + "/" + name
            }
            try limit(cgroup, cpus: cpus, mems: mems, memoryLimit: memoryLimit, gpus: gpus)
        } catch {
            Self.remove(cgroup)
            throw LaunchError("confinement failed: \(error)")
        }
        return cgroup
    }

    /// Creates a job's cgroup directory. One left by an earlier run of the same id with nothing in it (the
    /// node rebooted, the agent was killed between a job's end and its cleanup) is removed and made anew,
    /// so its old limits and counters do not carry over; one with processes in it is an error.
    private static func makeJobDirectory(_ dir: String) throws(CgroupfsError) {
        if Cgroupfs.exists(dir) {
            guard Cgroupfs.read(dir + "/cgroup.procs").isEmpty, rmdir(dir) == 0 else {
                throw CgroupfsError(description: "\(dir) already exists, with processes in it")
            }
        }
        try Cgroupfs.makeDirectory(dir)
    }

    /// Creates `dir` and the levels between it and the mount that are missing, enabling the v2 controllers on
    /// the way and giving every v1 cpuset that is still empty its parent's CPUs and memory nodes (a v1 cpuset
    /// starts empty). What another job wrote meanwhile is the same, so two jobs doing this at once agree.
    private func makeParents(_ dir: String, mount: String, key: String) throws(CgroupfsError) {
        let relative = dir.dropFirst(mount.count).split(separator: "/")
        var path = mount
        var levels = [mount]
        for part in relative {
            path += "/" + part
            levels.append(path)
        }
        for (i, level) in levels.enumerated() {
            if i > 0 {
                _ = try Cgroupfs.makeDirectory(level, existingIsFine: true)
                if key == "cpuset" { try inheritCpuset(level) }
            }
            if layout.version == .v2, key == "" {
                // Each level down to the jobs' parent hands the controllers on to its children.
                let available = Set(Cgroupfs.read(level + "/cgroup.controllers").split(separator: " ").map(String.init))
                let enabled = Set(
                    Cgroupfs.read(level + "/cgroup.subtree_control").split(separator: " ").map(String.init))
                let wanted = CgroupLayout.v2Controllers.filter { available.contains($0) && !enabled.contains($0) }
                if !wanted.isEmpty {
                    try Cgroupfs.write(
                        level + "/cgroup.subtree_control", wanted.map { "+" + $0 }.joined(separator: " "))
                }
            }
        }
    }

    private func inheritCpuset(_ dir: String) throws(CgroupfsError) {
        let up = (dir as NSString).deletingLastPathComponent
        for file in ["cpuset.cpus", "cpuset.mems"] where Cgroupfs.read(dir + "/" + file).isEmpty {
            try Cgroupfs.write(dir + "/" + file, Cgroupfs.read(up + "/" + file))
        }
    }

    private func limit(_ cgroup: JobCgroup, cpus: [Int]?, mems: [Int]?, memoryLimit: UInt64?, gpus: [Int])
        throws(CgroupfsError)
    {
        let allowed = gpuDevices.allowed(gpus)
        switch layout.version {
        case .v1:
            if let dir = cgroup.directories["cpuset"] {
                try inheritCpuset(dir)
                if let cpus, !cpus.isEmpty { try Cgroupfs.write(dir + "/cpuset.cpus", RangeList.compact(cpus)) }
                if let mems, !mems.isEmpty { try Cgroupfs.write(dir + "/cpuset.mems", RangeList.compact(mems)) }
            }
            if let dir = cgroup.directories["memory"], let memoryLimit, memoryLimit > 0 {
                try Cgroupfs.write(dir + "/memory.limit_in_bytes", String(memoryLimit))
                // With swap accounting, memory + swap is capped at the same figure: no swap.
                if Cgroupfs.exists(dir + "/memory.memsw.limit_in_bytes") {
                    try Cgroupfs.write(dir + "/memory.memsw.limit_in_bytes", String(memoryLimit))
                }
                try? Cgroupfs.write(dir + "/memory.swappiness", "0")
            }
            if let dir = cgroup.directories["pids"], let pidsMax {
                try Cgroupfs.write(dir + "/pids.max", String(pidsMax))
            }
            if deviceFilter == .v1, let dir = cgroup.directories["devices"] {
                let open = Set(allowed)
                for range in gpuDevices.ranges {
                    for minor in range.minors where !open.contains(.init(major: range.major, minor: minor)) {
                        try Cgroupfs.write(dir + "/devices.deny", "c \(range.major):\(minor) rwm")
                    }
                }
            }
        case .v2:
            guard let dir = cgroup.directories[""] else { break }
            if let cpus, !cpus.isEmpty { try Cgroupfs.write(dir + "/cpuset.cpus", RangeList.compact(cpus)) }
            if let mems, !mems.isEmpty { try Cgroupfs.write(dir + "/cpuset.mems", RangeList.compact(mems)) }
            if let memoryLimit, memoryLimit > 0 {
                try Cgroupfs.write(dir + "/memory.max", String(memoryLimit))
                if Cgroupfs.exists(dir + "/memory.swap.max") { try Cgroupfs.write(dir + "/memory.swap.max", "0") }
            }
            if let pidsMax { try Cgroupfs.write(dir + "/pids.max", String(pidsMax)) }
        }
        if deviceFilter == .bpf, let dir = cgroup.directories[""] {
            // One program per range; attached together, each must allow an open.
            for range in gpuDevices.ranges {
                try Cgroupfs.attachDeviceFilter(
                    dir, major: range.major, minors: range.minors,
                    allowed: allowed.filter { $0.major == range.major && range.minors.contains($0.minor) }.map(\.minor))
            }
        }
    }

    // MARK: - Ending a job's cgroup

    /// SIGKILLs every process in the cgroup (v2 `cgroup.kill`; v1 freezes the job first so nothing forks
    /// meanwhile) and waits, up to `timeout`, until it is empty. Returns whether it is.
    @discardableResult
    public static func kill(_ cgroup: JobCgroup, timeout: Duration = .seconds(5)) -> Bool {
        let deadline = ContinuousClock.now + timeout
        let freezer = cgroup.directories["freezer"]
        repeat {
            let pids = cgroup.processes
            if pids.isEmpty { return true }
            if let v2 = cgroup.directories[""], cgroup.version == .v2, Cgroupfs.exists(v2 + "/cgroup.kill") {
                try? Cgroupfs.write(v2 + "/cgroup.kill", "1")
            } else {
                if let freezer { try? Cgroupfs.write(freezer + "/freezer.state", "FROZEN") }
                for pid in cgroup.processes { Glibc.kill(pid, SIGKILL) }
                if let freezer { try? Cgroupfs.write(freezer + "/freezer.state", "THAWED") }
            }
            usleep(10_000)
        } while ContinuousClock.now < deadline
        return cgroup.processes.isEmpty
    }

    /// Removes the cgroup's directories (deepest hierarchy entries only: the parents stay for the next job).
    /// A directory that still has processes cannot be removed and stays.
    public static func remove(_ cgroup: JobCgroup) {
        for dir in cgroup.directories.values { rmdir(dir) }
    }

    /// What the job used, from its cgroup: CPU time, memory now and at its peak, out-of-memory kills.
    public static func usage(_ cgroup: JobCgroup) -> CgroupUsage {
        var u = CgroupUsage()
        switch cgroup.version {
        case .v1:
            if let d = cgroup.directories["cpuacct"], let ns = UInt64(Cgroupfs.read(d + "/cpuacct.usage")) {
                u.cpuSeconds = Double(ns) / 1e9
            }
            if let d = cgroup.directories["memory"] {
                u.peakMemoryBytes = UInt64(Cgroupfs.read(d + "/memory.max_usage_in_bytes"))
                u.memoryBytes = UInt64(Cgroupfs.read(d + "/memory.usage_in_bytes"))
                u.oomKills = Cgroupfs.keyed(d + "/memory.oom_control")["oom_kill"] ?? 0
                u.memoryLimitBytes = UInt64(Cgroupfs.read(d + "/memory.limit_in_bytes"))
            }
        case .v2:
            if let d = cgroup.directories[""] {
                if let us = Cgroupfs.keyed(d + "/cpu.stat")["usage_usec"] { u.cpuSeconds = Double(us) / 1e6 }
                u.peakMemoryBytes = UInt64(Cgroupfs.read(d + "/memory.peak"))
                u.memoryBytes = UInt64(Cgroupfs.read(d + "/memory.current"))
                u.oomKills = Cgroupfs.keyed(d + "/memory.events")["oom_kill"] ?? 0
                u.memoryLimitBytes = UInt64(Cgroupfs.read(d + "/memory.max"))
            }
        }
        return u
    }

    /// Removes the whole subtree `parent` names (the jobs' cgroups and the parent levels the agent made up to
    /// `levels` above the jobs), deepest first; for tests and for taking a node out of service.
    public func removeSubtree(levels: Int = 1) {
        var mounts = layout.hierarchies
        if deviceFilter == .bpf, layout.version == .v1, let u = layout.unifiedMount { mounts.append(("", u)) }
        for (key, mount) in mounts {
            var dir = layout.directory(mount: mount, ownKey: key, parent)
            if let children = try? FileManager.default.contentsOfDirectory(atPath: dir) {
                for child in children where child.hasPrefix("job_") { rmdir(dir + "/" + child) }
            }
            for _ in 0..<levels where dir.count > mount.count {
                rmdir(dir)
                dir = (dir as NSString).deletingLastPathComponent
            }
        }
    }
}

/// A job's cgroup: its directory in each hierarchy (the v1 controller's name, or "" for v2), saved in the
/// job's record so a restarted agent (and the fencing watchdog) can still end and remove it.
public struct JobCgroup: Sendable, Hashable, Codable {
    public var version: CgroupLayout.Version
    public var directories: [String: String]

    public init(version: CgroupLayout.Version, directories: [String: String]) {
        self.version = version
        self.directories = directories
    }

    /// The files a process writes its pid to, to join the cgroup in every hierarchy.
    public var procsFiles: [String] { directories.keys.sorted().map { directories[$0]! + "/cgroup.procs" } }

    /// Every process in the cgroup.
    public var processes: [Int32] {
        var pids = Set<Int32>()
        for dir in directories.values {
            for line in Cgroupfs.read(dir + "/cgroup.procs").split(separator: "\n") {
                if let pid = Int32(line) { pids.insert(pid) }
            }
        }
        return pids.sorted()
    }
}

extension CgroupLayout.Version: Codable {}

/// What a job used, read from its cgroup.
public struct CgroupUsage: Sendable, Hashable, Codable {
    public var cpuSeconds: Double?
    public var peakMemoryBytes: UInt64?
    /// In use when read.
    public var memoryBytes: UInt64?
    public var memoryLimitBytes: UInt64?
    /// Processes the kernel killed for running out of the cgroup's memory.
    public var oomKills: Int = 0

    public init() {}
}
