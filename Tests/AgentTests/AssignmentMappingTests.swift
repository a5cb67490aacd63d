import Foundation
import RasporedAPI
import Scheduler
import Testing

@testable import Agent

/// RunAssignment → LaunchRequest on the authored DGX H200: engine cores and NUMA positions become the
/// node's OS CPUs and NUMA nodes, and a stand-in agent exports them without binding.
@Suite struct AssignmentMappingTests {
    static let dgx = try! DiscoveredNode.discover(.xml(path: Repo.fixture("dgx-h200.xml")))

    @Test func coresBecomeBothHardwareThreadsAndNUMAPositionsOSIndexes() throws {
        let mapping = AssignmentMapping(node: Self.dgx, bind: true)
        let a = assignment(
            "42.1", "true", workdir: "/home/ana",
            allocation: allocation(gpus: [4, 5], cores: [56, 57, 58], numa: [1], nics: ["mlx5_6", "mlx5_9"]),
            timeLimit: 3600)
        let r = try mapping.request(for: a)
        // Core 56 is the first core of socket 1: OS CPUs 56 and its sibling 168 (56 + 112).
        #expect(r.cpus == [56, 57, 58, 168, 169, 170])
        #expect(r.coreCount == 3)
        #expect(r.mems == [1])
        #expect(r.gpus == [4, 5])
        #expect(r.nics == ["mlx5_6", "mlx5_9"])
        #expect(r.bind)
        #expect(r.jobId == "42.1")
        #expect(r.userJobId == "42")
        #expect(r.visibleJobId == "42")
        #expect(r.output == "raspored-%j.out")
        #expect(r.timeLimit == .seconds(3600))
        #expect(r.workingDirectory == "/home/ana")
        #expect(r.nodeList == ["dgx03"])
        #expect(r.nodeRank == 0)
        #expect(r.environment == ["FROM_SUBMITTER": "yes"])
        let env = JobEnvironment.variables(for: r, host: "dgx03")
        #expect(env["RASPORED_JOB_ID"] == "42")
        #expect(env["RASPORED_RUN_ID"] == "42.1")
        #expect(env["RASPORED_CPUS"] == "56,57,58,168,169,170")
        #expect(env["RASPORED_MEMS"] == "1")
        #expect(env["CUDA_VISIBLE_DEVICES"] == "4,5")
        #expect(env["OMP_NUM_THREADS"] == "3")
        #expect(
            JobEnvironment.expand(r.output, jobId: r.visibleJobId, name: r.name, host: "dgx03") == "raspored-42.out")
    }

    /// The engine's idea of the cores' threads (from cluster.yaml) and discovery's agree on the DGX H200,
    /// so the allocation's `cpus` and the agent's binding are the same CPUs.
    @Test func theMappingAgreesWithTheEnginesThreadsForDgx03() throws {
        let spec = try ClusterSpec.load(file: Repo.clusterYAML)
        let type = spec.nodeType(of: try #require(spec.nodes.first { $0.name == "dgx03" }))
        let mapping = AssignmentMapping(node: Self.dgx, bind: true)
        for cores in [[0], [55], [56, 111], Array(0..<112)] {
            let r = try mapping.request(
                for: assignment("1", "true", workdir: "/", allocation: allocation(cores: cores)))
            #expect(r.cpus == cores.flatMap { type.threads(ofCore: $0) }.sorted(), "cores \(cores)")
        }
    }

    @Test func numaPositionsAreOSIndexesInOrderOnASparseNode() throws {
        let lassen = try DiscoveredNode.discover(.xml(path: Repo.fixture("coral-lassen.xml")))
        let mapping = AssignmentMapping(node: lassen, bind: true)
        let r = try mapping.request(for: assignment("3", "true", workdir: "/", allocation: allocation(numa: [1])))
        #expect(r.mems == [8])
    }

    @Test func anAllocationThisNodeDoesNotHaveIsRefusedByName() {
        let mapping = AssignmentMapping(node: Self.dgx, bind: true)
        #expect(throws: LaunchError("core 112 is not on this node (cores 0-111)")) {
            try mapping.request(for: assignment("5", "true", workdir: "/", allocation: allocation(cores: [3, 112])))
        }
        #expect(throws: LaunchError.self) {
            try mapping.request(for: assignment("5", "true", workdir: "/", allocation: allocation(numa: [2])))
        }
    }

    @Test func bindingModes() {
        #expect(BindingMode.auto.binds(standIn: false))
        #expect(!BindingMode.auto.binds(standIn: true))
        #expect(BindingMode.exact.binds(standIn: true))
        #expect(!BindingMode.none.binds(standIn: false))
    }

    /// A stand-in agent on this small machine runs a DGX allocation unbound, with the allocation in the
    /// environment; binding it for real fails, because those CPUs are not here.
    @Suite(.serialized) struct StandIn {
        @Test func aStandInRunsUnboundWithTheAllocationInItsEnvironment() async throws {
            let dir = try temporaryDirectory("standin")
            defer { try? FileManager.default.removeItem(at: dir) }
            let launcher = try JobLauncher(
                stateDirectory: dir.appendingPathComponent("state").path, shimExecutable: try Repo.execShim(),
                gracePeriod: .milliseconds(500), host: "dgx03")
            let mapping = AssignmentMapping(node: AssignmentMappingTests.dgx, bind: false)
            let script = """
                echo CPUS=$RASPORED_CPUS; echo MEMS=$RASPORED_MEMS; echo CUDA=$CUDA_VISIBLE_DEVICES
                echo JOB=$RASPORED_JOB_ID RUN=$RASPORED_RUN_ID BINDING=$RASPORED_BINDING
                grep Cpus_allowed_list /proc/self/status
                """
            let a = assignment(
                "12.1", script, workdir: dir.path,
                allocation: allocation(gpus: [4, 5], cores: [56, 57], numa: [1], nics: ["mlx5_6"]))
            _ = try await launcher.launch(try mapping.request(for: a))
            let done = try #require(await launcher.wait("12.1"))
            #expect(done.state == .completed)
            #expect(done.stdoutPath == dir.appendingPathComponent("raspored-12.out").path)
            let out = try String(contentsOfFile: done.stdoutPath, encoding: .utf8)
            let lines = out.split(separator: "\n").map(String.init)
            #expect(lines.contains("CPUS=56,57,168,169"))
            #expect(lines.contains("MEMS=1"))
            #expect(lines.contains("CUDA=4,5"))
            #expect(lines.contains("JOB=12 RUN=12.1 BINDING=unbound"))
            // Unbound: the job may use every CPU this process may.
            let mine = try #require(ProcessProbe.status(getpid(), "Cpus_allowed_list"))
            let allowed = lines.first { $0.hasPrefix("Cpus_allowed_list:") }?.dropFirst("Cpus_allowed_list:".count)
            #expect(allowed?.trimmingCharacters(in: .whitespaces) == mine)
            #expect(done.bound == false)

            // Bound for real, the same allocation cannot run here: the job's code never starts.
            guard !BindingShim.allowedCPUs().contains(56) else { return }  // a machine as big as a DGX
            let exact = AssignmentMapping(node: AssignmentMappingTests.dgx, bind: true)
            _ = try await launcher.launch(
                try exact.request(
                    for: assignment(
                        "13", script, workdir: dir.path,
                        allocation: allocation(cores: [56, 57], numa: [1]))))
            let failed = try #require(await launcher.wait("13"))
            #expect(failed.state == .failed)
            #expect(failed.execFailed == true)
            #expect(RunBook.phase(of: failed) == .launchFailed)
            #expect(failed.reason?.contains("binding failed") == true)
        }
    }
}
