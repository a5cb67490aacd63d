import Foundation
import RasporedAPI
import Scheduler
import Subprocess
import SystemPackage
import Testing

@testable import Agent

/// The authored DGX H200 against cluster.yaml, and the check on matching and mismatching inputs.
@Suite struct NodeCheckTests {
    static func declared() throws -> NodeType {
        let spec = try ClusterSpec.load(file: Repo.clusterYAML)
        let node = try #require(spec.nodes.first { $0.name == "dgx03" })
        return spec.nodeType(of: node)
    }

    @Test func dgxH200DiscoveryIsWhatClusterYAMLDeclares() throws {
        let want = try Self.declared()
        let got = try DiscoveredNode.discover(.xml(path: Repo.fixture("dgx-h200.xml"))).nodeType(named: want.name)
        #expect(got.sockets == want.sockets)
        #expect(got.coresPerSocket == want.coresPerSocket)
        #expect(got.threadsPerCore == want.threadsPerCore)
        #expect(got.numa == want.numa)
        #expect(got.interconnect == want.interconnect)
        // GPUs: all but memory exactly; CUDA reports 143 771 MiB for the H200 sold as "141 GB".
        #expect(got.gpus.map { [$0.model, $0.pciBusId, $0.nic] } == want.gpus.map { [$0.model, $0.pciBusId, $0.nic] })
        #expect(got.gpus.map(\.numa) == want.gpus.map(\.numa))
        #expect(got.gpus.allSatisfy { $0.memory.bytes == 147_221_504 * 1024 })
        // NICs: names, NUMA and roles; compute NICs' kind. Link speed is not in hwloc (nil).
        #expect(got.nics.map(\.name).sorted() == want.nics.map(\.name).sorted())
        for nic in want.nics {
            let found = try #require(got.nics.first { $0.name == nic.name })
            #expect(found.numa == nic.numa, "\(nic.name)")
            #expect(found.role == nic.role, "\(nic.name)")
            if nic.role == "compute" { #expect(found.kind == nic.kind, "\(nic.name)") }
            #expect(found.speedGbps == nil)
        }
    }

    @Test func dgxH200MatchesDgx03Exactly() throws {
        let found = try DiscoveredNode.discover(.xml(path: Repo.fixture("dgx-h200.xml")))
        // No mismatch and no warning: all four storage ports are Ethernet and up, as cluster.yaml declares.
        #expect(NodeCheck.compare(found, with: try Self.declared()) == [])
    }

    @Test func anotherMachineDiffersWithHints() throws {
        let found = try DiscoveredNode.discover(.xml(path: Repo.fixture("ipa20.xml")))
        let text = NodeCheck.compare(found, with: try Self.declared()).map(\.description)
        #expect(
            text.contains(
                "GPUs: 4 found, 8 declared — a GPU fallen off the bus? look for Xid 79 in `dmesg` and compare `lspci -d 10de:`"
            ))
        #expect(text.contains("NUMA domains: 8 found, 2 declared — sub-NUMA clustering (SNC/NPS) enabled in the BIOS?"))
        #expect(
            text.contains {
                $0.hasPrefix("GPU 7 (0000:db:00.0): model H100 (NVIDIA H100 80GB HBM3) found, H200 declared")
            })
    }

    @Test func noGPUsAtAllPointsAtHwlocsPCIBackend() throws {
        var found = try DiscoveredNode.discover(.xml(path: Repo.fixture("dgx-h200.xml")))
        found.gpus = []
        let text = NodeCheck.compare(found, with: try Self.declared()).map(\.description)
        #expect(
            text.contains(
                "GPUs: 0 found, 8 declared — hwloc saw no NVIDIA or AMD GPU on the PCI bus; is the PCI backend enabled (HWLOC_COMPONENTS)?"
            ))
    }

    @Test func aMissingGPUAndHalvedNUMAMemoryAreNamed() throws {
        let dir = try temporaryDirectory("check")
        defer { try? FileManager.default.removeItem(at: dir) }
        var xml = try String(contentsOfFile: Repo.fixture("dgx-h200.xml"), encoding: .utf8)
        xml = try removeObject(in: xml, containing: "pci_busid=\"0000:5d:00.0\"")
        let numa1 = try #require(xml.range(of: "gp_index=\"428\" local_memory=\"1099511627776\""))
        xml.replaceSubrange(numa1, with: "gp_index=\"428\" local_memory=\"549755813888\"")
        let path = dir.appendingPathComponent("dgx-h200-broken.xml").path
        try xml.write(toFile: path, atomically: true, encoding: .utf8)

        let found = try DiscoveredNode.discover(.xml(path: path))
        let differences = NodeCheck.compare(found, with: try Self.declared())
        let text = differences.filter { $0.severity == .mismatch }.map(\.description)
        #expect(text.contains { $0.hasPrefix("GPUs: 7 found, 8 declared") })
        #expect(text.contains { $0.hasPrefix("GPU 3 (0000:5d:00.0): declared, not found") })
        #expect(text.contains { $0.hasPrefix("NUMA 1: 1 TiB declared, 512 GiB found") })
        // GPUs after the gap are renumbered by CUDA: the check says so for each.
        #expect(text.contains { $0.hasPrefix("GPU 4 (0000:9a:00.0): is CUDA device 3, declared as 4") })
    }

    @Test func numaMemoryWithinFirmwareReservationMatches() throws {
        var found = try DiscoveredNode.discover(.xml(path: Repo.fixture("dgx-h200.xml")))
        found.numaNodes[0].memoryBytes -= found.numaNodes[0].memoryBytes / 50  // 2 % reserved
        #expect(NodeCheck.compare(found, with: try Self.declared()).filter { $0.severity == .mismatch } == [])
        found.numaNodes[0].memoryBytes -= found.numaNodes[0].memoryBytes / 20  // 7 % in all
        #expect(NodeCheck.compare(found, with: try Self.declared()).map(\.subject).contains("NUMA 0"))
    }

    @Test func busIdsCompareInTheirNormalForm() throws {
        let found = try DiscoveredNode.discover(.xml(path: Repo.fixture("dgx-h200.xml")))
        #expect(found.gpus.allSatisfy { PCIBusId.normalized($0.pciBusId) == $0.pciBusId })
        var declared = try Self.declared()
        // nvidia-smi's spelling, upper case: the same GPUs.
        for i in declared.gpus.indices {
            declared.gpus[i].pciBusId = declared.gpus[i].pciBusId.map { "0000" + $0.uppercased() }
        }
        #expect(declared.gpus.first?.pciBusId == "00000000:18:00.0")
        #expect(NodeCheck.compare(found, with: declared) == [])
    }

    @Test func moreGPUsThanDeclaredIsNotCalledAFallenOffGPU() throws {
        let found = try DiscoveredNode.discover(.xml(path: Repo.fixture("dgx-h200.xml")))
        var declared = try Self.declared()
        declared.gpus = Array(declared.gpus.prefix(4))
        let text = NodeCheck.compare(found, with: declared).map(\.description)
        #expect(
            text.contains(
                "GPUs: 8 found, 4 declared — more GPUs than declared: another node type, or cluster.yaml undercounts"))
        #expect(!text.contains { $0.contains("fallen off") })
    }

    /// `schedagent` run with `args` to its end: its exit status and its output (stdout, then stderr).
    static func schedagent(_ args: [String]) async throws -> (Int32, String) {
        let r = try await Subprocess.run(
            .path(FilePath(try Repo.schedagent())), arguments: Arguments(args), output: .string(limit: 1 << 20),
            error: .string(limit: 1 << 20))
        guard case .exited(let code) = r.terminationStatus else { return (-1, "") }
        return (code, r.standardOutput + r.standardError)
    }

    @Test func checkExitsZeroWhenTheNodeMatchesItsType() async throws {
        let ok = try await Self.schedagent([
            "discover", "--topology", Repo.fixture("dgx-h200.xml"), "--check", Repo.clusterYAML, "--node", "dgx03",
        ])
        #expect(ok.0 == 0)
        #expect(ok.1 == "dgx03 matches node type dgx-h200\n")
    }

    @Test func checkExitsOneAndSaysWhatDiffersOnAMismatch() async throws {
        let bad = try await Self.schedagent(
            ["discover", "--topology", Repo.fixture("ipa20.xml"), "--check", Repo.clusterYAML, "--node", "dgx03"])
        #expect(bad.0 == 1)
        #expect(bad.1.contains("GPUs: 4 found, 8 declared"))
    }

    @Test func checkExitsTwoWhenItCannotCompare() async throws {
        let fixture = Repo.fixture("dgx-h200.xml")
        let unknown = try await Self.schedagent([
            "discover", "--topology", fixture, "--check", Repo.clusterYAML, "--node", "dgx99",
        ])
        #expect(unknown.0 == 2)
        #expect(unknown.1.contains("node 'dgx99' is not in"))
        let noSpec = try await Self.schedagent([
            "discover", "--topology", fixture, "--check", "/nonexistent/cluster.yaml", "--node", "dgx03",
        ])
        #expect(noSpec.0 == 2)
        let badXML = try await Self.schedagent([
            "discover", "--topology", Repo.clusterYAML, "--check", Repo.clusterYAML, "--node", "dgx03",
        ])
        #expect(badXML.0 == 2)
        #expect(badXML.1.contains("discovery failed"))
    }

    @Test func discoverJSONGivesTheTopologyItFound() async throws {
        let json = try await Self.schedagent(["discover", "--topology", Repo.fixture("dgx-h200.xml"), "--json"])
        #expect(json.0 == 0)
        let object = try JSONSerialization.jsonObject(with: Data(json.1.utf8)) as? [String: Any]
        #expect(object?["sockets"] as? Int == 2)
        #expect(object?["cores"] as? Int == 112)
        #expect(object?["pus"] as? Int == 224)
        let gpus = object?["gpus"] as? [[String: Any]] ?? []
        #expect(gpus.count == 8)
        #expect(
            Set((gpus.first ?? [:]).keys).isSuperset(of: ["index", "pciBusId", "model", "memoryBytes", "numa", "nics"]))
        let nics = object?["nics"] as? [[String: Any]] ?? []
        #expect(Set((nics.first ?? [:]).keys).isSuperset(of: ["name", "pciBusId", "kind", "numa", "state"]))
        let numa = object?["numaNodes"] as? [[String: Any]] ?? []
        #expect((numa.first?["cpus"] as? [Int])?.count == 112)
    }
}

/// Removes the `<object ...>` element whose start tag contains `marker`, children included.
func removeObject(in xml: String, containing marker: String) throws -> String {
    let hit = try #require(xml.range(of: marker))
    let start = try #require(xml.range(of: "<object", options: .backwards, range: xml.startIndex..<hit.lowerBound))
    var depth = 0
    var i = start.lowerBound
    while i < xml.endIndex {
        if xml[i...].hasPrefix("</object>") {
            depth -= 1
            i = xml.index(i, offsetBy: 9)
            if depth == 0 { break }
            continue
        }
        if xml[i...].hasPrefix("<object") {
            let close = try #require(xml.range(of: ">", range: i..<xml.endIndex))
            if xml[xml.index(before: close.lowerBound)] != "/" { depth += 1 }
            i = close.upperBound
            if depth == 0 { break }
            continue
        }
        i = xml.index(after: i)
    }
    var out = xml
    out.removeSubrange(start.lowerBound..<i)
    return out
}
