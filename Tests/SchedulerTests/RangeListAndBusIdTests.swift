import Testing

@testable import Scheduler

/// `RangeList.compact`, the one writer of "0-3,8" lists, and PCI bus ids as cluster.yaml gives them.
@Suite struct RangeListAndBusIdTests {
    @Test(arguments: [
        ([0, 1, 2, 3, 8], "0-3,8"),
        ([], ""),
        ([5], "5"),
        ([8, 3, 2, 1, 0, 3], "0-3,8"),
        ([0, 2, 4], "0,2,4"),
        ([110, 111, 0, 1], "0-1,110-111"),
    ])
    func compactWritesRuns(_ values: [Int], _ text: String) {
        #expect(RangeList.compact(values) == text)
    }

    @Test func compactIsTheInverseOfExpand() {
        for text in ["0-3,8", "0", "1,3,5-9,100-111"] {
            #expect(RangeList.compact(RangeList.expandIntegers(text)!) == text)
        }
    }

    @Test(arguments: [
        ("0000:18:00.0", "0000:18:00.0"),
        ("00000000:18:00.0", "0000:18:00.0"),  // nvidia-smi
        ("0000:DB:00.0", "0000:db:00.0"),
        ("2a:00.0", "0000:2a:00.0"),
        ("00010000:01:1f.7", "10000:01:1f.7"),
    ])
    func busIdsAreNormalised(_ text: String, _ normal: String) {
        #expect(PCIBusId.normalized(text) == normal)
    }

    @Test(arguments: [
        "", "18:00", "0000:18:00", "0000:18:00.8", "0000:18:20.0", "0000:118:00.0", "000000000:18:00.0",
        "0000:1g:00.0", "0000:18:00.0.1",
    ])
    func malformedBusIdsAreRefused(_ text: String) {
        #expect(PCIBusId.normalized(text) == nil)
    }

    @Test func clusterYAMLBusIdsAreReadNormalisedOrRefusedPrecisely() throws {
        func spec(_ ids: String) throws -> ClusterSpec {
            try ClusterSpec.parse(
                yaml: """
                    gpuModels:
                      H200: { memory: 141GB }
                    nodeTypes:
                      t:
                        sockets: 1
                        coresPerSocket: 4
                        threadsPerCore: 1
                        gpus: { model: H200, count: 2, pciBusIds: [\(ids)] }
                        numa:
                          - { socket: 0, memory: 1TiB, cores: 0-3, gpus: 0-1 }
                    nodes:
                      - { name: n1, type: t }
                    partitions:
                      gpu: { default: true }
                    """, file: "test.yaml")
        }
        let ok = try spec(#""00000000:18:00.0", "0000:2A:00.0""#)
        #expect(ok.nodeType(of: ok.nodes[0]).gpus.map(\.pciBusId) == ["0000:18:00.0", "0000:2a:00.0"])
        #expect {
            try spec(#""0000:18:00.0", "18:00""#)
        } throws: { error in
            "\(error)".contains(
                "pciBusIds[1]: '18:00' is not a PCI bus id: expected [domain:]bus:device.function in hex, e.g. 0000:18:00.0"
            )
        }
    }
}
