import Foundation
import Glibc
import TestAccounts
import Testing

@testable import Agent

/// A job's cgroup made while another job is still making the parent levels: the state that race leaves is
/// set up by hand (the parent made, its v1 cpuset still empty), and the job must complete the parents itself.
@Suite(
    .enabled(
        if: geteuid() == 0 && CgroupLayout.detect()?.v1Mounts["cpuset"] != nil, "needs root and a v1 cpuset hierarchy"))
struct ConfinementParentTests {
    @Test func aJobFindingItsParentsCpusetStillEmptyFillsItAndCanBeJoined() throws {
        let layout = try #require(CgroupLayout.detect())
        let mount = try #require(layout.v1Mounts["cpuset"])
        let top = TestRun.cgroupName("parents-" + String(UUID().uuidString.prefix(8)))
        let confinement = Confinement(layout: layout, parent: top + "/node", pidsMax: 64)
        defer { confinement.removeSubtree(levels: 2) }
        // What the first job leaves between its mkdirs and its writes: both levels made, both cpusets empty.
        let topDir = layout.directory(mount: mount, ownKey: "cpuset", top)
        let nodeDir = topDir + "/node"
        #expect(mkdir(topDir, 0o755) == 0)
        #expect(mkdir(nodeDir, 0o755) == 0)
        #expect(Cgroupfs.read(nodeDir + "/cpuset.cpus").isEmpty)

        let cgroup = try confinement.create(runId: "1", cpus: nil, mems: nil, memoryLimit: nil, gpus: [])
        let own = Cgroupfs.read(layout.directory(mount: mount, ownKey: "cpuset", "") + "/cpuset.cpus")
        #expect(Cgroupfs.read(nodeDir + "/cpuset.cpus") == own)
        let jobDir = try #require(cgroup.directories["cpuset"])
        #expect(Cgroupfs.read(jobDir + "/cpuset.cpus") == own)
        #expect(!Cgroupfs.read(jobDir + "/cpuset.mems").isEmpty)
        // A process can join it (an empty cpuset refuses with ENOSPC).
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sleep")
        child.arguments = ["30"]
        try child.run()
        defer {
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
        }
        #expect(throws: Never.self) { try Cgroupfs.write(jobDir + "/cgroup.procs", String(child.processIdentifier)) }
    }
}
