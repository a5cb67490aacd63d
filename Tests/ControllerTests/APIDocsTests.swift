import Foundation
import Testing

@testable import Controller
@testable import Scheduler

/// docs/api.md stays true: every route the router registers is documented there.
@Suite struct APIDocsTests {
    @Test func everyRouteIsDocumented() async throws {
        try await withCore { core, _, _ in
            let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("docs/api.md")
            let text = try String(contentsOf: docs, encoding: .utf8)
            let routes = APIRouter.make(core: core).routes.map { "\($0.method) \($0.path)" }
            #expect(routes.count >= 10)
            for route in routes {
                #expect(text.contains("`\(route)`"), "docs/api.md does not document \(route)")
            }
        }
    }
}
