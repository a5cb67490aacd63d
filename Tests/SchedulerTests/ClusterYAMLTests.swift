import Testing

@testable import Scheduler

@Suite struct ClusterYAMLTests {
    @Test func platformIsSixDGXH200WithTheDocumentedLayout() throws {
        let spec = try platform()
        #expect(spec.nodes.map(\.name) == ["dgx01", "dgx02", "dgx03", "dgx04", "dgx05", "dgx06"])
        #expect(spec.totalGPUs == 48)
        #expect(spec.sharedStorage == ByteSize(parsing: "120TB"))
        let t = spec.nodeType(of: spec.nodes[0])
        #expect(t.gpus.count == 8)
        #expect(t.gpus.allSatisfy { $0.model == "H200" && $0.memory == ByteSize(parsing: "141GB") })
        #expect(t.cores == 112)
        #expect(t.cpus == 224)
        #expect(t.sockets == 2)
        #expect(t.memory == ByteSize(parsing: "2TiB"))
        #expect(t.numa.map(\.gpus) == [[0, 1, 2, 3], [4, 5, 6, 7]])
        #expect(t.numa.map { $0.cores.count } == [56, 56])
        #expect(
            t.gpus.map(\.nic) == ["mlx5_0", "mlx5_3", "mlx5_4", "mlx5_5", "mlx5_6", "mlx5_9", "mlx5_10", "mlx5_11"])
        let compute = t.nics.filter { $0.role == "compute" }
        #expect(compute.count == 8)
        #expect(compute.allSatisfy { $0.speedGbps == 400 && $0.kind == .infiniband })
        #expect(compute.filter { $0.numa == 0 }.map(\.name) == ["mlx5_0", "mlx5_3", "mlx5_4", "mlx5_5"])
        #expect(t.interconnect == .nvswitch)
        #expect(t.scratch == ByteSize(parsing: "30TB"))
        #expect(t.threads(ofCore: 3) == [3, 115])
        #expect(spec.defaultPartition?.name == "gpu")
        #expect(spec.partition(named: "interactive")?.maxTime == .hours(4))
        #expect(spec.accounts.count >= 3)
    }

    @Test(arguments: ["scenarios/dgx-b200-x32.yaml", "scenarios/gb200-nvl72-x4.yaml"])
    func candidateMachinesReadInTheSameFormat(path: String) throws {
        let spec = try ClusterSpec.load(file: repoFile(path))
        #expect(spec.totalGPUs > 48)
        let state = ClusterState(spec: spec)
        #expect(state.invariantViolations().isEmpty)
    }

    @Test func gb200RackIsSeventyTwoGPUsInOneNVLinkDomain() throws {
        let spec = try ClusterSpec.load(file: repoFile("scenarios/gb200-nvl72-x4.yaml"))
        let rack1 = spec.nodes.filter { $0.nvlinkDomain == "rack1" }
        #expect(rack1.reduce(0) { $0 + spec.nodeType(of: $1).gpus.count } == 72)
    }

    @Test func severalNUMADomainsPerSocketSplitTheCores() throws {
        let spec = try ClusterSpec.parse(
            yaml: """
                gpuModels: { MI300X: { memory: 192GB } }
                nodeTypes:
                  snc:
                    sockets: 2
                    coresPerSocket: 48
                    gpus: { model: MI300X, count: 8 }
                    numa:
                      - { socket: 0, memory: 384GB, gpus: 0-1 }
                      - { socket: 0, memory: 384GB, gpus: 2-3 }
                      - { socket: 1, memory: 384GB, gpus: 4-5 }
                      - { socket: 1, memory: 384GB, gpus: 6-7 }
                nodes: [ { name: a, type: snc } ]
                """)
        let t = spec.nodeTypes[0]
        #expect(t.numa.map { $0.cores.first! } == [0, 24, 48, 72])
        #expect(t.numa.map(\.socket) == [0, 0, 1, 1])
    }

    static let base = """
        gpuModels:
          H200: { memory: 141GB }
        nodeTypes:
          dgx-h200:
            sockets: 2
            coresPerSocket: 56
            gpus: { model: H200, count: 8 }
            numa:
              - { socket: 0, memory: 1TiB, gpus: 0-3 }
              - { socket: 1, memory: 1TiB, gpus: 4-7 }
        nodes:
          - { name: "dgx[01-06]", type: dgx-h200 }
        """

    /// Each mistake and the exact message it must produce.
    @Test(arguments: [
        (
            base + "\n  - { name: dgx07, type: dgx-h300 }",
            "cluster.yaml:13: nodes[1]: unknown node type 'dgx-h300' (declared: dgx-h200)"
        ),
        (
            base.replacingOccurrences(of: "gpus: 4-7", with: "gpus: [4, 5, 6, 7, 9]"),
            "cluster.yaml:10: nodeTypes.dgx-h200.numa[1].gpus: dgx-h200: GPU 9 on NUMA 1, but the node type has 8 GPUs"
        ),
        (
            base.replacingOccurrences(of: "gpus: 4-7", with: "gpus: 3-7"),
            "cluster.yaml:10: nodeTypes.dgx-h200.numa[1].gpus: dgx-h200: GPU 3 is on NUMA 0 and on NUMA 1"
        ),
        (
            base.replacingOccurrences(of: "gpus: 4-7", with: "gpus: 4-6"),
            "cluster.yaml:9: nodeTypes.dgx-h200.numa: dgx-h200: GPU 7 is on no NUMA domain; list every GPU under one domain's 'gpus'"
        ),
        (
            base.replacingOccurrences(of: "model: H200", with: "model: H300"),
            "cluster.yaml:7: nodeTypes.dgx-h200.gpus.model: unknown GPU model 'H300' (declared in gpuModels: H200)"
        ),
        (
            base.replacingOccurrences(of: "{ socket: 1,", with: "{ socket: 2,"),
            "cluster.yaml:10: nodeTypes.dgx-h200.numa[1].socket: NUMA 1 on socket 2, but the node type has 2 socket(s)"
        ),
        (
            base.replacingOccurrences(of: "memory: 141GB", with: "memory: lots"),
            "cluster.yaml:2: gpuModels.H200.memory: expected a size such as 141GB, 2TB or 512GiB, found 'lots'"
        ),
        (
            base.replacingOccurrences(of: "coresPerSocket: 56", with: "coresPerSocket: 56\n    gpu_count: 8"),
            "cluster.yaml:7: nodeTypes.dgx-h200.gpu_count: unknown field 'gpu_count' (known: coresPerSocket, description, features, gpus, nics, numa, scratch, sockets, threadsPerCore)"
        ),
        (
            base + "\npartitions:\n  gpu: { nodes: \"dgx[01-09]\" }",
            "cluster.yaml:14: partitions.gpu.nodes: unknown node 'dgx07'"
        ),
        (
            base + "\n  - { name: dgx03, type: dgx-h200 }",
            "cluster.yaml:13: nodes[1].name: node 'dgx03' is declared twice"
        ),
        (
            "nodeTypes: [ unclosed",
            "cluster.yaml:2: malformed YAML: while parsing a flow sequence did not find expected ',' or ']'"
        ),
        (
            base.replacingOccurrences(
                of: "      - { socket: 1, memory: 1TiB, gpus: 4-7 }",
                with: "      - { socket: 1, memory: -1TiB, gpus: 4-7 }"),
            "cluster.yaml:10: nodeTypes.dgx-h200.numa[1].memory: a size must not be negative ('-1TiB')"
        ),
    ])
    func refusesMistakesWithFileLineAndField(yaml: String, message: String) {
        #expect(throws: ConfigError.self) { try ClusterSpec.parse(yaml: yaml, file: "cluster.yaml") }
        do {
            _ = try ClusterSpec.parse(yaml: yaml, file: "cluster.yaml")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func missingFileSaysSo() {
        do {
            _ = try ClusterSpec.load(file: "/nonexistent/cluster.yaml")
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "/nonexistent/cluster.yaml: cannot read the file (No such file or directory)")
        }
    }
}

@Suite struct ClusterScalingTests {
    @Test func resizingKeepsTheHardwareAndSpreadsNodesOverLeaves() throws {
        let spec = try platform().withNodes(ofType: "dgx-h200", count: 100, perLeaf: 32)!
        #expect(spec.nodes.count == 100)
        #expect(spec.totalGPUs == 800)
        #expect(spec.nodes.first?.name == "n00001")
        #expect(spec.nodes.last?.name == "n00100")
        #expect(Set(spec.nodes.map(\.fabricSwitch)).count == 4)
        #expect(spec.partitions.allSatisfy { $0.nodes.count == 100 })
        #expect(ClusterState(spec: spec).invariantViolations().isEmpty)
        #expect(try platform().withNodes(ofType: "dgx-h300", count: 1) == nil)
    }
}
