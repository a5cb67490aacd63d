import Foundation
import Testing

@testable import Agent

/// Paths into the repository, found from this file's location.
enum Repo {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let fixtures = root.appendingPathComponent("Tests/Fixtures/hwloc")
    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }
    static let clusterYAML = root.appendingPathComponent("cluster.yaml").path

    /// The schedagent executable built next to the test bundle by `swift build --build-tests`.
    static func schedagent() throws -> String {
        let me = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let path = URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("schedagent").path
        try #require(
            FileManager.default.isExecutableFile(atPath: path), "build schedagent first: swift build --build-tests")
        return path
    }

    /// The binding shim the launcher runs jobs through.
    static func execShim() throws -> String {
        let me = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let path = URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("raspored-exec").path
        try #require(
            FileManager.default.isExecutableFile(atPath: path), "build raspored-exec first: swift build --build-tests")
        return path
    }
}

/// The ground truth of one fixture, as extract-expected.py wrote it from lstopo/hwloc-info (not from our code).
struct Expected: Decodable {
    var sockets: Int
    var numaNodes: Int
    var cores: Int
    var pus: Int
    var numaOsIndexes: [Int]
    var numaMemoryBytes: [UInt64]
    var puOsIndexes: String
    var gpus: Int
    var gpuPciBusIds: [String]
    var gpuNuma: [Int]
    var gpuDetails: [GPUDetail]
    var nvswitches: Int
    var nics: [String]
    var openFabricsDevices: [String]
    var networkDevices: [String]
    var nicDetails: [NICDetail]
    var gpuNicSameSwitch: [String: [String]]

    struct GPUDetail: Decodable {
        var pciBusId: String
        var pciId: String
        var model: String?
        var cudaGlobalMemoryKiB: UInt64?
    }

    struct NICDetail: Decodable {
        var name: String
        var type: String
        var pciBusId: String
        var numa: [Int]
        var portStates: [String: Int]?
    }

    static let all: [String: Expected] = {
        let data = try! Data(contentsOf: Repo.fixtures.appendingPathComponent("expected.json"))
        return try! JSONDecoder().decode([String: Expected].self, from: data)
    }()
}

/// A fresh temporary directory, removed by the caller's `defer`.
func temporaryDirectory(_ label: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("raspored-\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Polls `condition` every 10 ms until it holds or `seconds` pass; for process exits and files a job writes,
/// which give no event to await.
func eventually(within seconds: Double = 5, _ condition: () -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}
