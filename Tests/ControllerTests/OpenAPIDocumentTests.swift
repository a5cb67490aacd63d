import Foundation
import Testing

@testable import Controller
@testable import RasporedAPI
@testable import Scheduler

/// docs/openapi.yaml stays true: it describes exactly the routes the router serves, and its request bodies
/// name exactly the fields the controller reads (scripts/fuzz-api.sh fuzzes a real controller from it).
@Suite struct OpenAPIDocumentTests {
    static func document() throws -> ConfigNode {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/openapi.yaml")
        return try ConfigNode.parse(try String(contentsOf: url, encoding: .utf8), file: "docs/openapi.yaml")
    }

    static let methods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    /// "METHOD /path" for every operation of the document, as the router's routes print.
    static func operations() throws -> Set<String> {
        var out: Set<String> = []
        for (path, item) in try document().required("paths").entries() {
            for method in try item.keys() where methods.contains(method) {
                out.insert("\(method.uppercased()) \(path)")
            }
        }
        return out
    }

    /// The component schema an operation's JSON request body refers to.
    static func bodySchema(_ method: String, _ path: String) throws -> ConfigNode {
        let doc = try document()
        let ref = try doc.required("paths").required(path).required(method).required("requestBody")
            .required("content").required("application/json").required("schema").required("$ref").string()
        let name = String(ref.split(separator: "/").last ?? "")
        return try doc.required("components").required("schemas").required(name)
    }

    /// The property names of an operation's body; every body refuses other fields (`additionalProperties: false`).
    static func bodyFields(_ method: String, _ path: String) throws -> Set<String> {
        let schema = try bodySchema(method, path)
        #expect(try schema.required("additionalProperties").bool() == false, "\(method) \(path) allows other fields")
        return Set(try schema.required("properties").keys())
    }

    /// Stored property names: a synthesized `Codable`'s keys.
    static func fields(of value: Any) -> Set<String> { Set(Mirror(reflecting: value).children.compactMap { $0.label }) }

    static func enumValues(_ schema: String) throws -> Set<String> {
        let node = try document().required("components").required("schemas").required(schema).required("enum")
        return Set(try node.elements().map { (e) throws(ConfigError) in try e.string() })
    }

    @Test func theDocumentDescribesExactlyTheRoutesServed() async throws {
        let documented = try Self.operations()
        try await withCore { core, _, _ in
            let served = Set(APIRouter.make(core: core).routes.map { "\($0.method) \($0.path)" })
            #expect(served.count >= 10)
            for route in served.subtracting(documented).sorted() {
                Issue.record("docs/openapi.yaml does not describe \(route)")
            }
            for route in documented.subtracting(served).sorted() {
                Issue.record("docs/openapi.yaml describes \(route), which the router does not serve")
            }
        }
    }

    @Test func requestBodiesNameTheFieldsTheControllerReads() throws {
        let submission = ResourceRequest.fieldNames.union(SubmitRequest.jobFieldNames)
        #expect(try Self.bodyFields("post", "/v1/jobs") == submission)
        #expect(try Self.bodyFields("post", "/v1/reservations") == ReservationRequest.fields)
        #expect(try Self.bodyFields("post", "/v1/nodes/{name}/drain") == Self.fields(of: DrainRequest(reason: "")))
        #expect(try Self.bodyFields("post", "/v1/tokens") == Self.fields(of: TokenRequest(user: "")))
        #expect(
            try Self.bodyFields("post", "/v1/agents/{node}/heartbeat") == Self.fields(of: AgentHeartbeat(runs: [])))
        let discovered = DiscoveredNode(
            sockets: 0, cores: 0, pus: 0, threadsPerCore: 0, numaNodes: [], coreList: [], puList: [], gpus: [],
            nics: [], nvswitches: 0)
        #expect(
            try Self.bodyFields("post", "/v1/agents/{node}/register")
                == Self.fields(of: AgentRegistration(node: "", discovered: discovered, runs: [])))
    }

    @Test func enumsListTheCodesValues() throws {
        #expect(try Self.enumValues("JobState") == Set(JobState.allCases.map(\.rawValue)))
        #expect(try Self.enumValues("QueuePolicy") == Set(QueuePolicyName.allCases.map(\.rawValue)))
    }
}
