import Foundation
import Glibc
import RasporedAPI
import Scheduler
import Testing

@testable import Agent

/// Discovery on every real and authored hwloc XML, against the counts lstopo/hwloc-info gave (expected.json).
@Suite struct DiscoveryFixtureTests {
    static let fixtures = [
        "ipa20.xml", "nvidiaDGX2.xml", "coral-lassen.xml", "topo.jwb0004.xml", "topo.jwc09n003.xml",
        "dgx-h200.xml",
    ]

    @Test func everyFixtureHasGroundTruth() {
        #expect(Set(Expected.all.keys) == Set(Self.fixtures))
    }

    @Test(arguments: fixtures) func countsMatchLstopo(_ file: String) throws {
        let want = try #require(Expected.all[file])
        let node = try DiscoveredNode.discover(.xml(path: Repo.fixture(file)))
        #expect(node.sockets == want.sockets)
        #expect(node.numaNodes.count == want.numaNodes)
        #expect(node.cores == want.cores)
        #expect(node.pus == want.pus)
        #expect(NodeCheck.ranges(node.puList) == want.puOsIndexes)
        #expect(node.numaNodes.map(\.index) == want.numaOsIndexes)
        #expect(node.numaNodes.map(\.memoryBytes) == want.numaMemoryBytes)
        #expect(node.gpus.count == want.gpus)
        #expect(node.gpus.map(\.pciBusId) == want.gpuPciBusIds)
        #expect(node.gpus.map(\.numa) == want.gpuNuma.map { Optional($0) })
        #expect(node.gpus.map(\.index) == Array(0..<want.gpus))
        #expect(node.nvswitches == want.nvswitches)
    }

    @Test(arguments: fixtures) func gpuModelsAndMemoryComeFromHwlocInfos(_ file: String) throws {
        let want = try #require(Expected.all[file])
        let node = try DiscoveredNode.discover(.xml(path: Repo.fixture(file)))
        for (gpu, detail) in zip(node.gpus, want.gpuDetails) {
            #expect(gpu.pciDeviceId == detail.pciId)
            if let model = detail.model { #expect(gpu.modelName == model) }
            if let kib = detail.cudaGlobalMemoryKiB {
                #expect(gpu.memoryBytes == kib * 1024)
                #expect(gpu.memorySource == "hwloc")
            } else {
                #expect(gpu.memorySource == "pci-id-table")
            }
        }
    }

    @Test(arguments: fixtures) func nicsMatchLstopo(_ file: String) throws {
        let want = try #require(Expected.all[file])
        let node = try DiscoveredNode.discover(.xml(path: Repo.fixture(file)))
        // RDMA devices are NICs with their netdev attached; netdevs without an RDMA device are NICs themselves.
        #expect(node.nics.filter(\.rdma).map(\.name) == want.openFabricsDevices)
        let names = node.nics.map(\.name) + node.nics.compactMap(\.netdev)
        #expect(names.sorted() == want.nics.sorted())
        for detail in want.nicDetails where detail.type == "OpenFabrics" {
            let nic = try #require(node.nics.first { $0.name == detail.name })
            #expect(nic.pciBusId == detail.pciBusId)
            #expect(nic.numa == detail.numa.first)
            if let state = detail.portStates?["Port1State"] {
                #expect(nic.state == (state == 4 ? "active" : "down"))
            }
        }
        for gpu in node.gpus {
            #expect(gpu.nics == want.gpuNicSameSwitch[gpu.pciBusId], "GPU \(gpu.pciBusId)")
        }
    }

    @Test func gpusWithoutOSDevicesAreFoundByPCIClassAndNamedFromTheTable() throws {
        let node = try DiscoveredNode.discover(.xml(path: Repo.fixture("topo.jwb0004.xml")))
        #expect(node.gpus.map(\.model) == ["A100", "A100", "A100", "A100"])
        #expect(node.gpus.allSatisfy { $0.memoryBytes == 40_000_000_000 && $0.osDevices.isEmpty })
    }

    @Test func triplicateOSDevicesWithZeroedUUIDsAreOneGPUEach() throws {
        let node = try DiscoveredNode.discover(.xml(path: Repo.fixture("ipa20.xml")))
        #expect(node.gpus.map(\.osDevices.count) == [3, 3, 3, 3])
        #expect(node.gpus.map(\.model) == ["H100", "H100", "H100", "H100"])
        // Homogeneous NVLink between the four H100s, no NVSwitch.
        let nvlink = try #require(node.nvlink)
        #expect(nvlink.gpuToGPU[0] == [0, 150_000, 150_000, 150_000])
        #expect(node.nodeType().interconnect == .nvlinkPairs)
        // Dual-port HCA: two RDMA devices on two functions of one card, the second port down.
        let ports = node.nics.filter { $0.card == "0000:4d:00" }
        #expect(ports.map(\.name) == ["mlx5_0", "mlx5_1"])
        #expect(ports.map(\.state) == ["active", "down"])
    }

    @Test func nvswitchesWithNullPCIIdsCountAndCarryNVLink() throws {
        let node = try DiscoveredNode.discover(.xml(path: Repo.fixture("nvidiaDGX2.xml")))
        #expect(node.nvswitches == 12)
        #expect(node.gpus.count == 16)
        #expect(node.gpus.allSatisfy { $0.modelName == "Tesla V100-SXM3-32GB-H" && $0.model == "V100" })
        // 6 links of 25 GB/s from each GPU to the NVSwitches of its baseboard.
        #expect(node.nvlink?.gpuToSwitches == Array(repeating: 150_000, count: 16))
        #expect(node.nodeType().interconnect == .nvswitch)
    }

    @Test func aMatroxCardCalledGPUByHwlocV1IsNotAGPU() throws {
        let node = try DiscoveredNode.discover(.xml(path: Repo.fixture("topo.jwc09n003.xml")))
        #expect(node.gpus.allSatisfy { $0.pciDeviceId.hasPrefix("10de:") })
        #expect(node.gpus.count == 4)
    }

    @Test func sparseNUMAIndexesMapToEngineDomainsInOrder() throws {
        let node = try DiscoveredNode.discover(.xml(path: Repo.fixture("coral-lassen.xml")))
        let type = node.nodeType()
        #expect(node.numaNodes.map(\.index) == [0, 8])
        #expect(type.numa.map(\.index) == [0, 1])
        #expect(type.gpus.map(\.numa) == [0, 0, 1, 1])
        #expect(type.threadsPerCore == 4)
    }

    @Test func missingFileNamesTheCallAndErrno() {
        #expect {
            try DiscoveredNode.discover(.xml(path: "/nonexistent/topology.xml"))
        } throws: { error in
            let e = error as? DiscoveryError
            return e?.call == "hwloc_topology_set_xml(/nonexistent/topology.xml)" && e?.errno == ENOENT
        }
    }

    @Test func liveDiscoverySeesTheCPUsThisProcessMayUse() throws {
        let node = try DiscoveredNode.discover(.live)
        let allowed = BindingShim.allowedCPUs()
        #expect(!allowed.isEmpty)
        #expect(Set(allowed).isSubset(of: Set(node.puList)))
        #expect(node.numaNodes.count >= 1)
        #expect(node.numaNodes.allSatisfy { $0.memoryBytes > 0 })
    }
}
