import Foundation
import RasporedAPI
import Scheduler
import Testing

@testable import Agent

/// PCIe switch ancestry, where a GPU's model name comes from, and GPUs without NUMA locality.
@Suite struct PCIeSwitchAndModelTests {
    @Test(arguments: [
        "ipa20.xml", "nvidiaDGX2.xml", "coral-lassen.xml", "topo.jwb0004.xml", "topo.jwc09n003.xml", "dgx-h200.xml",
    ])
    func aGPUsNICsAreTheRDMANICsOnItsSwitch(_ fixture: String) throws {
        let node = try DiscoveredNode.discover(.xml(path: Repo.fixture(fixture)))
        for gpu in node.gpus {
            let sameSwitch = node.nics.filter { $0.rdma && $0.pcieSwitch != nil && $0.pcieSwitch == gpu.pcieSwitch }
            #expect(Set(gpu.nics) == Set(sameSwitch.map(\.name)), "\(fixture) \(gpu.pciBusId)")
            // Ground truth from lstopo (extract-expected.py), not from this code.
            #expect(Set(gpu.nics) == Set(Expected.all[fixture]?.gpuNicSameSwitch[gpu.pciBusId] ?? []))
        }
    }

    @Test func ipa20sDualPortHCASharesOneGPUsSwitch() throws {
        let node = try DiscoveredNode.discover(.xml(path: Repo.fixture("ipa20.xml")))
        let bySwitch = Dictionary(grouping: node.gpus, by: \.pcieSwitch)
        #expect(bySwitch.count == 4)  // four GPUs, four switches
        #expect(bySwitch[nil] == nil)  // four GPUs, four switches
        let gpu = try #require(node.gpus.first { $0.pciBusId == "0000:4e:00.0" })
        #expect(gpu.pcieSwitch == "0000:49:00.0")
        let ports = node.nics.filter { $0.pcieSwitch == gpu.pcieSwitch }
        #expect(ports.map(\.name) == ["mlx5_0", "mlx5_1"])
        #expect(Set(ports.map(\.card)) == ["0000:4d:00"])
        // cb:00.0 sits in a switch of its own (with a SAS controller): no NIC shares it.
        let lonely = try #require(node.gpus.first { $0.pciBusId == "0000:cb:00.0" })
        #expect(lonely.pcieSwitch != nil)
        #expect(!node.nics.contains { $0.pcieSwitch == lonely.pcieSwitch })
        // The onboard Ethernet hangs off a root port: no switch.
        #expect(node.nics.first { $0.name == "eno8303" }?.pcieSwitch == nil)
    }

    @Test func dgxH200PairsEachGPUWithItsComputeNICAndNoStorageNIC() throws {
        let node = try DiscoveredNode.discover(.xml(path: Repo.fixture("dgx-h200.xml")))
        let compute = ["mlx5_0", "mlx5_3", "mlx5_4", "mlx5_5", "mlx5_6", "mlx5_9", "mlx5_10", "mlx5_11"]
        #expect(Set(node.gpus.compactMap(\.pcieSwitch)).count == 8)
        for (gpu, nic) in zip(node.gpus, compute) {
            #expect(node.nics.filter { $0.pcieSwitch == gpu.pcieSwitch }.map(\.name) == [nic])
        }
        for storage in ["mlx5_1", "mlx5_2", "mlx5_7", "mlx5_8"] {
            #expect(node.nics.first { $0.name == storage }?.pcieSwitch == nil, "\(storage)")
        }
    }

    @Test func pcieSwitchIsInTheJSON() throws {
        let node = try DiscoveredNode.discover(.xml(path: Repo.fixture("dgx-h200.xml")))
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(node)) as? [String: Any]
        let gpus = object?["gpus"] as? [[String: Any]]
        #expect(gpus?.first?["pcieSwitch"] as? String == "0000:14:00.0")
    }

    @Test func theDriversModelNameWinsOverTheDeviceIdTable() throws {
        let dir = try temporaryDirectory("model")
        defer { try? FileManager.default.removeItem(at: dir) }
        // Device id 10de:2335 is an H200 in the table; the driver (GPUModel) says otherwise, and is believed.
        let xml = try String(contentsOfFile: Repo.fixture("dgx-h200.xml"), encoding: .utf8)
            .replacingOccurrences(of: #"value="NVIDIA H200""#, with: #"value="NVIDIA H100 80GB HBM3""#)
        let file = dir.appendingPathComponent("renamed.xml")
        try xml.write(to: file, atomically: true, encoding: .utf8)
        let node = try DiscoveredNode.discover(.xml(path: file.path))
        #expect(node.gpus.map(\.model) == Array(repeating: "H100", count: 8))
        #expect(node.gpus.first?.pciDeviceId == "10de:2335")
        // Without a driver name the table names it.
        let jwb = try DiscoveredNode.discover(.xml(path: Repo.fixture("topo.jwb0004.xml")))
        #expect(jwb.gpus.allSatisfy { $0.model == "A100" && $0.modelName == nil })
    }

    @Test func aGPUWithoutNUMALocalityIsFlaggedNotTakenForNUMA0() throws {
        var found = try DiscoveredNode.discover(.xml(path: Repo.fixture("dgx-h200.xml")))
        found.gpus[0].numa = nil
        let spec = try ClusterSpec.load(file: Repo.clusterYAML)
        let declared = spec.nodeType(of: try #require(spec.nodes.first { $0.name == "dgx03" }))
        let text = NodeCheck.compare(found, with: declared).map(\.description)
        #expect(text.contains { $0.hasPrefix("GPU 0 (0000:18:00.0): NUMA locality unknown, declared on NUMA 0") })
    }

    /// Nested switches: the NIC in the GPU's own (inner) switch comes before one that meets it only in the
    /// outer switch, although its name sorts later.
    @Test func aGPUsNICsAreNearestFirst() {
        typealias A = HwlocSnapshot.Ancestor
        func bridge(_ id: UInt64, _ bus: String) -> A { A(id: id, isPCIBridge: true, busId: bus) }
        let host = A(id: 1, isPCIBridge: false)
        let root = bridge(2, "0000:00:01.0")
        let outerUp = bridge(3, "0000:01:00.0")
        let outerDown = bridge(4, "0000:02:00.0")
        let outerDown2 = bridge(9, "0000:02:01.0")
        let innerUp = bridge(5, "0000:03:00.0")
        let innerDown = bridge(6, "0000:04:00.0")
        let innerDown2 = bridge(7, "0000:04:01.0")
        func device(_ id: UInt64, _ bus: String, vendor: UInt16, klass: UInt16, _ ancestors: [A], rdma: String?)
            -> HwlocSnapshot.PCIDevice
        {
            HwlocSnapshot.PCIDevice(
                id: id, busId: bus, vendorId: vendor, deviceId: 0x2335, classId: klass, subtype: nil, linkGBps: nil,
                numa: [0], ancestors: ancestors, infos: [:],
                osDevices: rdma.map { [.init(name: $0, kind: .openFabrics, subtype: nil, infos: [:])] } ?? [])
        }
        let gpu = device(
            10, "0000:05:00.0", vendor: 0x10de, klass: 0x0302, [innerDown, innerUp, outerDown, outerUp, root, host],
            rdma: nil)
        let inner = device(
            11, "0000:06:00.0", vendor: 0x15b3, klass: 0x0207, [innerDown2, innerUp, outerDown, outerUp, root, host],
            rdma: "mlx5_10")
        let outer = device(
            12, "0000:07:00.0", vendor: 0x15b3, klass: 0x0207, [outerDown2, outerUp, root, host], rdma: "mlx5_2")
        let snapshot = HwlocSnapshot(
            packages: 1, numaNodes: [.init(osIndex: 0, memoryBytes: 1 << 30, cpus: [0], package: 0)],
            cores: [.init(logicalIndex: 0, osIndex: 0, pus: [0], package: 0)], pus: [0],
            pciDevices: [gpu, inner, outer], distances: [], machineInfos: [:], cpuModel: nil)
        let node = DiscoveredNode(snapshot: snapshot)
        #expect(node.gpus.first?.nics == ["mlx5_10", "mlx5_2"])
        #expect(node.gpus.first?.pcieSwitch == "0000:03:00.0")
        #expect(node.nics.map(\.pcieSwitch) == ["0000:01:00.0", "0000:03:00.0"])  // mlx5_2, mlx5_10
    }
}
