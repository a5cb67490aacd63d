import Testing

@testable import Scheduler

/// Six DGX H200 nodes as the platform has them, with features: dgx01-02 have nvlink and ib-ndr (the type's
/// ib-ndr and their own nvlink), dgx03-04 ib-ndr, dgx05-06 the type's ib-ndr too and their own bf3; dgx01-04 on
/// one leaf, dgx05-06 on another. Partition `gpu` has every node, `small` dgx01-03.
func featureCluster() throws -> ClusterSpec {
    let typed = dgxType.replacingOccurrences(of: "    scratch: 30TB", with: "    scratch: 30TB\n    features: [ib-ndr]")
    let yaml = """
        gpuModels:
          H200: { memory: 141GB }
        nodeTypes:

        """ + typed + """

            fabric:
              switches:
                - { name: spine }
                - { name: leaf0, parent: spine }
                - { name: leaf1, parent: spine }
            nodes:
              - { name: "dgx[01-02]", type: dgx-h200, switch: leaf0, features: [nvlink] }
              - { name: "dgx[03-04]", type: dgx-h200, switch: leaf0 }
              - { name: "dgx[05-06]", type: dgx-h200, switch: leaf1, features: "bf3" }
            storage: { shared: 120TB }
            partitions:
              gpu: { default: true, maxTime: 7d, coresPerGpu: 14, memoryPerGpu: 240GiB }
              small: { nodes: "dgx[01-03]", maxTime: 7d, coresPerGpu: 14, memoryPerGpu: 240GiB }
            placement: { policy: pack }
            """
    return try ClusterSpec.parse(yaml: yaml, file: "features.yaml")
}

/// Node features in cluster.yaml, and the constraint expressions that select by them.
@Suite struct NodeFeatureTests {
    @Test func featuresOfTheTypeAndOfTheNodeAreTheNodesFeatures() throws {
        let spec = try featureCluster()
        #expect(spec.nodeTypes[0].features == ["ib-ndr"])
        #expect(
            spec.nodes.map(\.features) == [
                ["ib-ndr", "nvlink"], ["ib-ndr", "nvlink"], ["ib-ndr"], ["ib-ndr"], ["bf3", "ib-ndr"],
                ["bf3", "ib-ndr"],
            ])
        // Without `features`, nodes have none.
        #expect(
            try ClusterSpec.load(file: repoFile("scenarios/dgx-b200-x32.yaml")).nodes.allSatisfy { $0.features.isEmpty }
        )
        // The platform's DGX H200 type gives its nodes its features.
        #expect(try platform().nodes.allSatisfy { $0.features == ["h200", "ib-ndr400", "nvswitch"] })
    }

    @Test func badFeaturesAreRefusedWithTheirLine() throws {
        func error(_ features: String) -> String {
            let yaml = """
                gpuModels:
                  H200: { memory: 141GB }
                nodeTypes:

                """ + dgxType + """

                    nodes:
                      - { name: dgx01, type: dgx-h200, features: \(features) }
                    """
            do {
                _ = try ClusterSpec.parse(yaml: yaml, file: "cluster.yaml")
                return "read"
            } catch {
                return error.description
            }
        }
        #expect(
            error("[nvlink, \"a&b\"]")
                == "cluster.yaml:23: nodes[0].features: feature 'a&b': use only letters, digits, '-', '_' and '.'")
        #expect(error("[nvlink, nvlink]") == "cluster.yaml:23: nodes[0].features: feature 'nvlink' is listed twice")
        #expect(error("[\"\"]") == "cluster.yaml:23: nodes[0].features: a feature name must not be empty")
        let long = String(repeating: "x", count: 65)
        #expect(error("[\(long)]").hasSuffix("a feature name is at most 64 characters, not 65"))
        let many = (0...64).map { "f\($0)" }.joined(separator: ", ")
        #expect(error("[\(many)]") == "cluster.yaml:23: nodes[0].features: at most 64 features, not 65")
        #expect(error("[nvlink, ib-ndr]") == "read")
    }

    @Test func constraintsReadAsOrOfAnd() throws {
        let c = try NodeConstraint(parsing: "nvlink&ib-ndr|bf3,h200")
        #expect(c.alternatives == [["nvlink", "ib-ndr"], ["bf3", "h200"]])
        #expect(c.matches(["nvlink", "ib-ndr"]))
        #expect(c.matches(["bf3", "h200", "x"]))
        #expect(!c.matches(["nvlink", "bf3"]))
        #expect(c.features == ["nvlink", "ib-ndr", "bf3", "h200"])
    }
}
