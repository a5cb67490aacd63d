import Foundation
import RasporedAPI
import Scheduler
import Testing

@testable import Agent

/// AMD GPUs: discovered from a real capture of an 8 × MI50 node (LLNL's Corona, `corona-mi50.xml`), described
/// in cluster.yaml, named to jobs as ROCm reads them, and isolated by their DRM device files.
@Suite struct AMDGPUTests {
    static func corona() throws -> DiscoveredNode {
        try DiscoveredNode.discover(.xml(path: Repo.fixture("corona-mi50.xml")))
    }

    /// What hwloc's own tools say of the capture (hwloc 2.9.0, `hwloc-info -i corona-mi50.xml --whole-io
    /// --descendants osdev pci=BUS` and `--local-memory pci=BUS`; Tests/Fixtures/hwloc/llnl-mpibind-corona-
    /// amd-mi50.PROVENANCE.md): the eight Display-class functions of vendor 1002 in bus order, their NUMA
    /// node, their RSMI device and its AMDUUID.
    static let truth: [(bus: String, numa: Int, rsmi: String, uuid: String)] = [
        ("0000:03:00.0", 0, "rsmi2", "4c04714172e6268f"), ("0000:27:00.0", 0, "rsmi3", "fd6050c17326b1e1"),
        ("0000:43:00.0", 0, "rsmi1", "518a706172e62697"), ("0000:63:00.0", 0, "rsmi0", "956a110172e620f5"),
        ("0000:83:00.0", 1, "rsmi6", "f62596172e6212b"), ("0000:a3:00.0", 1, "rsmi7", "fd6678e17326b1e1"),
        ("0000:c3:00.0", 1, "rsmi5", "ce888172edb11f"), ("0000:e3:00.0", 1, "rsmi4", "f88c684172e62691"),
    ]

    @Test func theMI50sAreFoundInBusOrderWithModelMemoryNUMAAndUUID() throws {
        let node = try Self.corona()
        #expect(node.sockets == 2 && node.numaNodes.count == 2 && node.cores == 48 && node.pus == 96)
        // The BMC's ASPEED VGA (1a03:2000, class 0300) is no GPU.
        #expect(node.gpus.map(\.pciBusId) == Self.truth.map(\.bus))
        #expect(node.gpus.map(\.index) == Array(0..<8))
        #expect(node.gpus.map(\.numa) == Self.truth.map(\.numa))
        #expect(node.gpus.allSatisfy { $0.vendor == .amd && $0.pciDeviceId == "1002:66a1" })
        // ROCm SMI's name, clipped by the exporter ("deon Instinct MI50 32GB"), still gives the model; pci.ids
        // calls the board a Radeon Pro VII.
        #expect(node.gpus.allSatisfy { $0.model == "MI50" && $0.modelName == "deon Instinct MI50 32GB" })
        // OpenCLGlobalMemorySize=33538048 (KiB).
        #expect(node.gpus.allSatisfy { $0.memoryBytes == 33_538_048 * 1024 && $0.memorySource == "hwloc" })
        for (gpu, t) in zip(node.gpus, Self.truth) {
            #expect(gpu.osDevices.contains(t.rsmi), "\(gpu.pciBusId)")
            // ROCm's form: GPU- and the 64-bit unique id in 16 hex digits.
            #expect(gpu.uuid == "GPU-" + String(repeating: "0", count: 16 - t.uuid.count) + t.uuid)
        }
        #expect(node.gpuVendor == .amd)
    }

    @Test func anAMDNodeTypeInClusterYAMLMatchesTheNode() throws {
        let spec = try ClusterSpec.parse(
            yaml: """
                name: amd
                gpuModels:
                  MI50: { memory: 32GB }
                nodeTypes:
                  corona:
                    sockets: 2
                    coresPerSocket: 24
                    threadsPerCore: 2
                    gpus:
                      model: MI50
                      count: 8
                      pciBusIds: ["0000:03:00.0", "0000:27:00.0", "0000:43:00.0", "0000:63:00.0",
                                  "0000:83:00.0", "0000:a3:00.0", "0000:c3:00.0", "0000:e3:00.0"]
                    numa:
                      - { socket: 0, memory: 126GiB, cores: 0-23, gpus: 0-3 }
                      - { socket: 1, memory: 126GiB, cores: 24-47, gpus: 4-7 }
                nodes:
                  - { name: corona171, type: corona }
                """)
        let declared = spec.nodeType(of: spec.nodes[0])
        let differences = NodeCheck.compare(try Self.corona(), with: declared)
        #expect(differences.filter { $0.severity == .mismatch } == [], "\(differences.map(\.description))")
    }

    /// XGMI links, as hwloc's ROCm SMI backend gives them: an `XGMIBandwidth` matrix over the GPUs' RSMI OS
    /// devices, which the reader turns into their PCI functions. No capture at hand has one (Corona's MI50s
    /// report `XGMIHiveID=0`: no hive), so this snapshot is written out: two GPUs linked both ways, a third not.
    @Test func xgmiLinksAreReadFromHwlocsDistances() throws {
        func gpu(_ id: UInt64, _ bus: String) -> HwlocSnapshot.PCIDevice {
            HwlocSnapshot.PCIDevice(
                id: id, busId: bus, vendorId: 0x1002, deviceId: 0x740c, classId: 0x0380, subtype: nil, linkGBps: nil,
                numa: [0], ancestors: [], infos: [:],
                osDevices: [.init(name: "rsmi\(id)", kind: .gpu, subtype: "RSMI", infos: [:])])
        }
        let snapshot = HwlocSnapshot(
            packages: 1, numaNodes: [.init(osIndex: 0, memoryBytes: 1 << 30, cpus: [0], package: 0)],
            cores: [.init(logicalIndex: 0, osIndex: 0, pus: [0], package: 0)], pus: [0],
            pciDevices: [gpu(7, "0000:c1:00.0"), gpu(5, "0000:29:00.0"), gpu(6, "0000:91:00.0")],
            distances: [
                .init(
                    name: "XGMIBandwidth", objects: [5, 7, 6],
                    values: [0, 50_000, 0, 50_000, 0, 0, 0, 0, 0])
            ], machineInfos: [:], cpuModel: nil)
        let node = DiscoveredNode(snapshot: snapshot)
        // GPUs in bus order: 29 (id 5), 91 (id 6), c1 (id 7); 29 and c1 are linked.
        #expect(node.gpus.map(\.pciBusId) == ["0000:29:00.0", "0000:91:00.0", "0000:c1:00.0"])
        #expect(node.xgmi?.gpuToGPU == [[0, 0, 50_000], [0, 0, 0], [50_000, 0, 0]])
        #expect(node.nvlink == nil)
        #expect(node.report().contains("XGMI: 1 GPU pairs linked"))
        #expect(try Self.corona().xgmi == nil)
    }

    @Test func modelsComeFromInstinctNamesOrTheDeviceTable() {
        #expect(AMDDeviceTable.model(inMarketingName: "deon Instinct MI50 32GB") == "MI50")
        #expect(AMDDeviceTable.model(inMarketingName: "AMD Instinct MI300X") == "MI300X")
        #expect(AMDDeviceTable.model(inMarketingName: "Vega 20 WKS GL-XE [Radeon Pro VII]") == nil)
        #expect(AMDDeviceTable.model(inMarketingName: "MIDI controller") == nil)
        #expect(AMDDeviceTable.entries[0x66a1]?.model == "MI50")
        #expect(GPUVendor.rocmUUID("ce888172edb11f") == "GPU-00ce888172edb11f")
        #expect(GPUVendor.rocmUUID("not hex") == nil)
    }

    @Test func aJobOnAnAMDNodeIsToldItsGPUsByUUIDAndHIPCountsFromZero() throws {
        let node = try Self.corona()
        var r = LaunchRequest(jobId: "7", name: "train", command: ["true"], workingDirectory: "/")
        r.gpus = [1, 3]
        r.gpuVendor = node.gpuVendor
        r.gpuUUIDs = node.gpuUUIDs
        let env = JobEnvironment.variables(for: r, host: "corona171")
        #expect(env["ROCR_VISIBLE_DEVICES"] == "GPU-fd6050c17326b1e1,GPU-956a110172e620f5")
        #expect(env["HIP_VISIBLE_DEVICES"] == "0,1")
        #expect(env["RASPORED_GPUS"] == "1,3")
        #expect(env["SLURM_JOB_GPUS"] == "1,3")
        // Nothing CUDA reads: HIP would take CUDA_VISIBLE_DEVICES too, over ROCr's choice.
        #expect(env["CUDA_VISIBLE_DEVICES"] == nil && env["NVIDIA_VISIBLE_DEVICES"] == nil)
        // Without UUIDs (no ROCm on the node when hwloc looked): the indices.
        r.gpuUUIDs = [:]
        #expect(JobEnvironment.variables(for: r, host: "corona171")["ROCR_VISIBLE_DEVICES"] == "1,3")
        // NVIDIA's stay as they were.
        r.gpuVendor = .nvidia
        let nv = JobEnvironment.variables(for: r, host: "dgx01")
        #expect(nv["CUDA_VISIBLE_DEVICES"] == "1,3" && nv["NVIDIA_VISIBLE_DEVICES"] == "1,3")
        #expect(nv["CUDA_DEVICE_ORDER"] == "PCI_BUS_ID" && nv["ROCR_VISIBLE_DEVICES"] == nil)
        // The step variables a srun inside the job replaces include ROCm's.
        #expect(
            JobEnvironment.isNodeVariable("ROCR_VISIBLE_DEVICES")
                && JobEnvironment.isNodeVariable("HIP_VISIBLE_DEVICES"))
    }

    @Test func eachAMDGPUIsItsDRMCardAndRenderNode() throws {
        // A sysfs of two GPUs as the amdgpu driver lays it out: BUS/drm/cardN and BUS/drm/renderDM, the first
        // GPU probed second (card1, renderD129); the third bus id has no drm folder.
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("raspored-sysfs-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: root) }
        for (bus, names) in [("0000:03:00.0", ["card1", "renderD129"]), ("0000:27:00.0", ["card0", "renderD128"])] {
            for name in names {
                try FileManager.default.createDirectory(
                    atPath: "\(root)/\(bus)/drm/\(name)", withIntermediateDirectories: true)
            }
        }
        let map = GPUDeviceMap.amd(busIds: ["0000:03:00.0", "0000:27:00.0", "0000:43:00.0"], sysfs: root)
        #expect(map.allowed([0]) == [.init(major: 226, minor: 1), .init(major: 226, minor: 129)])
        #expect(map.allowed([1]) == [.init(major: 226, minor: 0), .init(major: 226, minor: 128)])
        #expect(map.allowed([2]) == [.init(major: 226, minor: 2), .init(major: 226, minor: 130)])
        #expect(map.ranges.map(\.minors) == [0..<64, 128..<192])
        let nvidia = GPUDeviceMap.nvidia(minors: [1: 7], gpus: 2)
        #expect(nvidia.allowed([0, 1]) == [.init(major: 195, minor: 0), .init(major: 195, minor: 7)])
        #expect(nvidia.ranges.map(\.minors) == [0..<254])
    }
}
