import Foundation
import Testing

@testable import Scheduler

/// Runs the real `schedctl` binary, as a user would.
struct CLI {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static var binary: URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
            "schedctl")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return root.appendingPathComponent(".build/debug/schedctl")
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs schedctl with `args`; `environment` replaces the process's (nil: inherit it), with
    /// RASPORED_SCHEDCTL_SERVER=off. Its input is empty;
    /// its output goes to files (neither stream can fill a pipe and stall it). One that runs past `limit`
    /// seconds is killed and is an error with what it wrote, so a hang fails its test instead of the run.
    static func run(
        _ args: [String], environment: [String: String]? = nil, in directory: URL? = nil, limit: Double = 120
    ) throws -> Result {
        let scratch = Scratch.root.appendingPathComponent("run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outFile = scratch.appendingPathComponent("stdout")
        let errFile = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errFile.path, contents: nil)
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        p.currentDirectoryURL = directory ?? root
        // No schedctl server (docs/schedctl.md, "In scripts") outlives a test: each command runs itself.
        p.environment = (environment ?? ProcessInfo.processInfo.environment).merging(
            ["RASPORED_SCHEDCTL_SERVER": "off"]) { _, off in off }
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = try FileHandle(forWritingTo: outFile)
        p.standardError = try FileHandle(forWritingTo: errFile)
        try p.run()
        let deadline = Date().addingTimeInterval(limit)
        while p.isRunning && Date() < deadline { usleep(5_000) }
        let timedOut = p.isRunning
        if timedOut { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        let o = (try? Data(contentsOf: outFile)) ?? Data()
        let e = (try? Data(contentsOf: errFile)) ?? Data()
        if timedOut {
            throw CLITimeout(
                "schedctl \(args.joined(separator: " ")) ran past \(limit) s and was killed; it wrote:\n"
                    + String(decoding: o, as: UTF8.self) + "\n" + String(decoding: e, as: UTF8.self))
        }
        return Result(
            status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
            stderr: String(decoding: e, as: UTF8.self))
    }

    struct CLITimeout: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    static func temp(_ name: String, _ text: String) throws -> String {
        let dir = Scratch.root.appendingPathComponent("files")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }
}

@Suite(.serialized) struct CLITests {
    @Test func clusterShowSummarisesThePlatform() throws {
        let r = try CLI.run(["cluster", "show"])
        #expect(r.status == 0)
        #expect(
            r.stdout.contains(
                "6 nodes, 48 GPUs (48 × H200), 672 cores / 1344 CPUs, 12 TiB memory, 180 TB local scratch, 120 TB shared storage"
            ))
        #expect(r.stdout.contains("dgx06  dgx-h200  8 × H200    112   224  2 TiB   30 TB    su1-leaves"))
        #expect(r.stdout.contains("    3  H200   141 GB     0  mlx5_5   0000:5d:00.0"))
        #expect(r.stdout.contains("     1       1  56-111  1 TiB    4-7"))
        #expect(r.stdout.contains("gpu          yes          6  7d        1d                   14  240 GiB     all"))
    }

    @Test func clusterShowJSONCarriesTotalsAndTopology() throws {
        let r = try CLI.run(["cluster", "show", "--json", "--cluster", "scenarios/gb200-nvl72-x4.yaml"])
        #expect(r.status == 0)
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let totals = json["totals"] as! [String: Any]
        #expect(totals["gpus"] as? Int == 288)
        #expect(totals["nodes"] as? Int == 72)
        #expect((json["nodes"] as! [[String: Any]]).first?["nvlinkDomain"] as? String == "rack1")
        let type = (json["nodeTypes"] as! [[String: Any]])[0]
        #expect((type["numa"] as! [[String: Any]]).map { $0["gpus"] as! [Int] } == [[0, 1], [2, 3]])
    }

    @Test func clusterShowJSONListsEachNodesFeatures() throws {
        let r = try CLI.run(["cluster", "show", "--json", "--cluster", "cluster.yaml"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let nodes = json["nodes"] as! [[String: Any]]
        #expect(nodes.count == 6)
        // cluster.yaml gives the DGX H200 type its features; every node of it has them, sorted.
        for n in nodes { #expect(n["features"] as? [String] == ["h200", "ib-ndr400", "nvswitch"]) }
    }

    /// The jobs file of docs/placement.md, whose outcome is worked out there by hand.
    @Test func placeFollowsTheRulesAndPrintsTheJSONContract() throws {
        let r = try CLI.run(["place", "--jobs", "Tests/SchedctlTests/Golden/place-basic.yaml", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let report = try JSONDecoder().decode(PlacementReport.self, from: Data(r.stdout.utf8))
        let byID = Dictionary(uniqueKeysWithValues: report.results.map { ($0.id, $0) })
        #expect(report.results.map(\.id) == ["a", "b", "c", "d", "e", "f", "g"])
        #expect(byID["a"]!.nodes.map { [$0.node] + $0.gpus.map(String.init) } == [["dgx01", "0"]])
        #expect(byID["a"]!.nodes[0].cores == Array(0..<14))
        #expect(byID["a"]!.nodes[0].numa == [0])
        #expect(byID["a"]!.nodes[0].nics == ["mlx5_0"])
        #expect(byID["b"]!.nodes[0].gpus == [1, 2])
        #expect(byID["b"]!.nodes[0].node == "dgx01")
        #expect(byID["c"]!.nodes[0].gpus == [4, 5, 6, 7])
        #expect(byID["c"]!.nodes[0].node == "dgx01")
        #expect(byID["c"]!.nodes[0].cores == Array(56..<112))
        #expect(byID["d"]!.nodes.map(\.node) == ["dgx02"])
        #expect(byID["d"]!.nodes[0].gpus == Array(0..<8))
        #expect(byID["e"]!.nodes.map(\.node) == ["dgx03", "dgx04"])
        #expect(byID["f"]!.placed == false)
        #expect(byID["f"]!.reason == "65 GPUs requested; the cluster has 48")
        #expect(byID["f"]!.refusal == "never-fits")
        #expect(byID["g"]!.nodes[0].node == "dgx01")
        #expect(byID["g"]!.nodes[0].gpus == [1, 2])
        #expect(report.freeShapes.freeGPUs == 17)
        #expect(report.freeShapes.fits == [1: 17, 2: 8, 4: 4, 8: 2])
        #expect(report.freeShapes.wholeNodes == 2)
        // The raw keys of the documented contract.
        let raw = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let first = (raw["results"] as! [[String: Any]])[0]
        #expect(Set(first.keys).isSuperset(of: ["id", "placed", "nodes"]))
        #expect(Set(((first["nodes"] as! [[String: Any]])[0]).keys) == ["node", "gpus", "cores", "numa", "nics"])
        #expect(
            Set((raw["freeShapes"] as! [String: Any]).keys).isSuperset(of: ["fits", "wholeNodes", "fragmentation"]))
    }

    @Test func placeTextIsATableWithReasonsAndTheFreeShapes() throws {
        let r = try CLI.run(["place", "--jobs", "Tests/SchedctlTests/Golden/place-basic.yaml"])
        #expect(r.status == 0)
        let expected = try String(
            contentsOf: CLI.root.appendingPathComponent("Tests/SchedctlTests/Golden/place-basic.txt"), encoding: .utf8)
        #expect(r.stdout == expected)
    }

    @Test func baselinesAreSelectableByName() throws {
        for policy in ["first-fit", "best-fit", "spread", "pack"] {
            let r = try CLI.run([
                "place", "--jobs", "Tests/SchedctlTests/Golden/place-basic.yaml", "--policy", policy, "--json",
            ])
            #expect(r.status == 0)
            #expect(r.stdout.contains("\"policy\" : \"\(policy)\""))
        }
    }

    @Test func errorsAreOneClearLineAndANonZeroExit() throws {
        let badJobs = try CLI.temp("jobs.yaml", "- { id: a, gpus: 1 }\n- { id: b, gpu: 2 }\n")
        let badYAML = try CLI.temp("broken.yaml", "- { id: a, gpus: 1\n")
        let negative = try CLI.temp("neg.yaml", "- { id: a, gpus: 1, memory: -5GB }\n")
        let unknownNode = try CLI.temp("node.yaml", "- { drain: [dgx09] }\n")
        let badCluster = try CLI.temp("cluster.yaml", "nodeTypes: {}\nnodes: []\n")
        let cases: [([String], String)] = [
            (
                ["cluster", "show", "--cluster", "nope.yaml"],
                "schedctl: error: nope.yaml: cannot read the file (No such file or directory)"
            ),
            (
                ["place", "--jobs", badJobs],
                "schedctl: error: \(badJobs):2: [1].gpu: unknown field 'gpu' (did you mean 'gpus'?)"
            ),
            (
                ["place", "--jobs", badYAML],
                "schedctl: error: \(badYAML):2: malformed YAML: while parsing a flow mapping did not find expected ',' or '}'"
            ),
            (
                ["place", "--jobs", negative],
                "schedctl: error: \(negative):1: [0].memory: a size must not be negative ('-5GB')"
            ),
            (["place", "--jobs", unknownNode], "schedctl: error: \(unknownNode):1: [0].drain: unknown node 'dgx09'"),
            (
                ["place", "--jobs", badJobs, "--policy", "random"],
                "schedctl: error: unknown policy 'random' (pack, first-fit, best-fit, spread)"
            ),
            (
                ["cluster", "show", "--cluster", badCluster],
                "schedctl: error: \(badCluster):1: nodeTypes: declare at least one node type"
            ),
        ]
        for (args, message) in cases {
            let r = try CLI.run(args)
            #expect(r.status != 0, "\(args)")
            #expect(r.stdout.isEmpty)
            #expect(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines) == message)
        }
    }
}
