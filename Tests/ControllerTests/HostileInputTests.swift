import Foundation
import Hummingbird
import HummingbirdTesting
import RasporedAPI
import Testing

@testable import Controller
@testable import Scheduler

/// Every bad input of issue 28's hostile-client findings, over real HTTP on loopback: each gets a 4xx that
/// names the field and the bound, nothing is recorded, and the controller goes on serving (a crash would
/// take the test process with it).
@Suite struct HostileInputTests {
    /// A body, who sends it, and what the answer must be.
    struct Case: Sendable, CustomTestStringConvertible {
        var method: HTTPRequest.Method = .post
        var path: String = "/v1/jobs"
        var user: String = "ana"
        var body: String?
        var status: HTTPResponse.Status = .badRequest
        var error: String
        var testDescription: String { "\(method) \(path) \(body?.prefix(60) ?? "")" }
    }

    static let refusals: [Case] = [
        // Numbers past every bound: once an arithmetic overflow that stopped the controller.
        Case(
            body: jobBody(gpus: 1, #", "time": 9223372036854775807"#),
            error: "line 1: time: at most 365d, not '9223372036854775807'"),
        Case(
            body: jobBody(gpus: 1, #", "time": "999999999999999d""#),
            error: "line 1: time: at most 365d, not '999999999999999d'"),
        Case(body: jobBody(gpus: 1, #", "time": "400d""#), error: "line 1: time: at most 365d, not 400d"),
        Case(
            body:
                #"{"nodes": 2, "gpusPerNode": 9223372036854775807, "account": "ivi", "command": ["x"], "workdir": "/"}"#,
            error: "line 1: gpusPerNode: at most 1024, not 9223372036854775807"),
        Case(
            path: "/v1/jobs?dryRun=true",
            body:
                #"{"nodes": 2, "gpusPerNode": 9223372036854775807, "account": "ivi", "command": ["x"], "workdir": "/"}"#,
            error: "line 1: gpusPerNode: at most 1024, not 9223372036854775807"),
        Case(
            body: #"{"nodes": 9223372036854775807, "account": "ivi", "command": ["x"], "workdir": "/"}"#,
            error: "line 1: nodes: at most 16384, not 9223372036854775807"),
        Case(
            body: jobBody(gpus: 1, #", "cpus": 99999999999999999999"#),
            error: "line 1: cpus: 99999999999999999999 is out of range"),
        Case(body: jobBody(gpus: 1, #", "memory": "2000PB""#), error: "line 1: memory: at most 1024 PiB, not 2000 PB"),
        // Strict JSON: exact types, null where text is needed, unknown fields, parameters.
        Case(
            body: #"{"gpus": 1, "account": "ivi", "command": ["sleep", null], "workdir": "/"}"#,
            error: "line 1: command[1]: expected a single value, found null"),
        Case(
            body: #"{"gpus": "1", "account": "ivi", "command": ["x"], "workdir": "/"}"#,
            error: #"line 1: gpus: expected a whole number, found text ("1")"#),
        Case(
            body: #"{"gpus": 1.5, "account": "ivi", "command": ["x"], "workdir": "/"}"#,
            error: "line 1: gpus: expected a whole number, found '1.5'"),
        Case(
            body: jobBody(gpus: 1, #", "exclusive": "yes""#),
            error: #"line 1: exclusive: expected true or false, found text ("yes")"#),
        Case(
            body: jobBody(gpus: 1, #", "name": 7"#),
            error: "line 1: name: expected text in double quotes, found a number (7)"),
        Case(
            body: jobBody(gpus: 1, #", "gpuss": 2"#),
            error: "line 1: gpuss: unknown field 'gpuss' (did you mean 'gpus'?)"),
        Case(
            body: #"[sleep, x]"#,
            error:
                "line 1: malformed JSON at column 2: expected a value (an object, list, string, number, true, false or null)"
        ),
        Case(
            body: String(repeating: "[", count: 100_000),
            error: "line 1: malformed JSON at column 33: nested deeper than 32 levels"),
        Case(
            body: jobBody(gpus: 1, #", "name": "\udc00x""#),
            error: "line 1: malformed JSON at column 105: a lone low surrogate (\\udc00)"),
        Case(path: "/v1/jobs?dryRun=maybe", body: jobBody(gpus: 1), error: "dryRun is true or false, not 'maybe'"),
        Case(
            path: "/v1/jobs?dryrun=true", body: jobBody(gpus: 1),
            error: "unknown query parameter 'dryrun' (known: dryRun)"),
        Case(
            path: "/v1/jobs?dryRun=true&dryRun=false", body: jobBody(gpus: 1),
            error: "the query parameter 'dryRun' is given twice"),
        // Control characters where text names something, and NUL where it reaches the operating system.
        Case(
            body: jobBody(gpus: 1, #", "name": "x\u001b[31m\nFAKE""#),
            error: "line 1: name: must not contain control or text-direction characters (\\u{1B} at position 2)"),
        Case(
            body: jobBody(gpus: 1, #", "name": "a\u202eb""#),
            error: "line 1: name: must not contain control or text-direction characters (\\u{202E} at position 2)"),
        Case(
            body: #"{"gpus": 1, "account": "ivi", "command": ["sleep", "1\u0000"], "workdir": "/"}"#,
            error: "line 1: command[1]: must not contain a NUL character (\\u{0})"),
        Case(
            body: #"{"gpus": 1, "account": "ivi\u0007", "command": ["x"], "workdir": "/"}"#,
            error: "line 1: account: must not contain control or text-direction characters (\\u{7} at position 4)"),
        // Tokens: no field is dropped silently, and a user is a Unix account's name.
        Case(
            path: "/v1/tokens", user: "admin", body: #"{"user": "x", "role": "admin"}"#,
            error: "line 1: role: unknown field 'role'"),
        Case(
            path: "/v1/tokens", user: "admin", body: #"{"user": "x\u001b[2J"}"#,
            error: "user: a user's name is letters, digits, '_', '.', '-' and '@' (not '-' first), not 'x\\u{1B}[2J'"),
        Case(
            path: "/v1/tokens", user: "admin", body: #"{"user": null}"#, error: "'user': expected a string, found null"),
        // Nodes and reservations (admins): bounded host lists, times and durations.
        Case(
            path: "/v1/nodes/dgx01/drain", user: "admin", body: #"{"reason": "ok\r\nFAKE drained"}"#,
            error: "reason: must not contain control or text-direction characters (\\r at position 3)"),
        Case(
            path: "/v1/reservations", user: "admin",
            body: #"{"nodes": "dgx[000000001-999999999]", "duration": "1h", "reason": "r"}"#,
            error:
                "line 1: nodes: 'dgx[000000001-999999999]' is not a host list (dgx05,dgx06 or dgx[05-06]) of at most 65536 nodes"
        ),
        Case(
            path: "/v1/reservations", user: "admin",
            body: #"{"nodes": "dgx01", "start": "9223372036854775807", "duration": "1h", "reason": "r"}"#,
            error: "line 1: start: a time from 1970 to 2100, not 9223372036854775807"),
        Case(
            path: "/v1/reservations", user: "admin",
            body: #"{"nodes": "dgx01", "duration": "99999999999d", "reason": "r"}"#,
            error: "line 1: duration: at most 3650d, not '99999999999d'"),
        // Reading: a node the job never ran on is not found.
        Case(method: .get, path: "/v1/jobs/1/output?node=nosuch", status: .notFound, error: "no job 1"),
    ]

    @Test(arguments: refusals)
    func eachBadInputIsRefusedWithItsReason(_ c: Case) async throws {
        try await withLiveAPI { api in
            let r = try await api.call(c.method, c.path, as: c.user, body: c.body)
            #expect(r.status == c.status)
            #expect(r.error == c.error)
            #expect(try api.core.store.jobs().isEmpty)
            #expect(try await api.call(.get, "/healthz", as: nil).status == .ok)
        }
    }

    @Test func anEmojiWrittenAsASurrogatePairIsOneCharacter() async throws {
        try await withLiveAPI { api in
            // As Python's json.dumps writes "🚀 run".
            let r = try await api.call(.post, "/v1/jobs", body: jobBody(gpus: 1, #", "name": "\ud83d\ude80 run""#))
            #expect(r.status == .created, "\(r.error ?? "")")
            #expect(try r.decode(JobView.self).name == "🚀 run")
            // A newline inside an argument is the job's business: it is kept as given.
            let multi = try await api.call(
                .post, "/v1/jobs",
                body: #"{"gpus": 1, "account": "ivi", "command": ["bash", "-c", "echo a\necho b"], "workdir": "/"}"#)
            #expect(multi.status == .created, "\(multi.error ?? "")")
            #expect(try multi.decode(JobView.self).command == ["bash", "-c", "echo a\necho b"])
        }
    }

    @Test func invalidUTF8IsRefused() async throws {
        try await withLiveAPI { api in
            var headers: HTTPFields = [.authorization: "Bearer \(api.tokens["ana"]!)"]
            headers[.contentType] = "application/json"
            var body = ByteBuffer(string: #"{"gpus": 1, "account": "ivi", "command": ["x"], "workdir": "/", "name": ""#)
            body.writeBytes([0xC3, 0x28])
            body.writeString(#""}"#)
            let r = try await api.client.execute(uri: "/v1/jobs", method: .post, headers: headers, body: body)
            #expect(r.status == .badRequest)
            #expect(r.error == "line 1: malformed JSON at column 73: the string here is not valid UTF-8")
            #expect(try api.core.store.jobs().isEmpty)
        }
    }

    @Test func outputOfANodeTheJobDidNotRunOnIsNotFound() async throws {
        try await withLiveAPI { api in
            let r = try await api.call(.post, "/v1/jobs", body: jobBody(gpus: 1))
            #expect(r.status == .created)
            let missing = try await api.call(.get, "/v1/jobs/1/output?node=nosuch")
            #expect(missing.status == .notFound)
            #expect(missing.error?.hasPrefix("job 1 has no output from node 'nosuch'") == true)
        }
    }

    @Test func anArraysWaitingTasksCollapseIntoOneView() async throws {
        try await withLiveAPI { api in
            // bo fills the cluster; ana's arrays wait, every task for the same reason.
            for _ in 0..<6 {
                #expect(try await api.call(.post, "/v1/jobs", as: "bo", body: jobBody(gpus: 8)).status == .created)
            }
            #expect(
                try await api.call(.post, "/v1/jobs", body: jobBody(gpus: 1, #", "array": "0-9""#)).status == .created)
            #expect(
                try await api.call(.post, "/v1/jobs", body: jobBody(gpus: 1, #", "array": "0-8:2%2""#)).status
                    == .created)
            let r = try await api.call(.get, "/v1/jobs?state=pending&collapse=true")
            #expect(r.status == .ok)
            let views = try r.decode(JobList.self).jobs
            // The first task of each array waits for a reason of its own (first in line; the cap's first
            // tasks), the others for one reason each: one view for each run of the same reason.
            #expect(views.map(\.displayId) == ["7_0", "7_1", "17_0", "17_4"])
            #expect(views.map(\.collapsedTasks) == [nil, "1-9", "0,2", "4-8:2"])
            #expect(views[1].pendingReason != views[0].pendingReason)
            // Pages split a run of tasks; each page collapses its own part.
            let first = try await api.call(.get, "/v1/jobs?state=pending&collapse=true&limit=4").decode(JobList.self)
            #expect(first.jobs.map(\.collapsedTasks) == [nil, "1-3"])
            #expect(first.next == 10)
            // Without collapse, one view a task.
            #expect(try await api.call(.get, "/v1/jobs?state=pending").decode(JobList.self).jobs.count == 15)
        }
    }

    @Test func listsComeInPagesThatJoinUpToEveryJob() async throws {
        try await withLiveAPI { api in
            for _ in 0..<7 { #expect(try await api.call(.post, "/v1/jobs", body: jobBody(gpus: 1)).status == .created) }
            var seen: [Int64] = []
            var after: Int64?
            var pages = 0
            repeat {
                let r = try await api.call(.get, "/v1/jobs?limit=3" + (after.map { "&after=\($0)" } ?? ""))
                #expect(r.status == .ok)
                let page = try r.decode(JobList.self)
                #expect(page.jobs.count <= 3)
                seen += page.jobs.map(\.id)
                after = page.next
                pages += 1
            } while after != nil && pages < 10
            #expect(seen == Array(1...7))
            #expect(pages == 3)
            // Jobs that have not ended come from the core's cache, not the store: the same jobs, the same pages.
            _ = try await api.call(.post, "/v1/jobs/2/cancel")
            let all = try await api.call(.get, "/v1/jobs").decode(JobList.self).jobs.filter { !$0.state.isFinal }
            var active: [JobView] = []
            after = nil
            repeat {
                let r = try await api.call(
                    .get, "/v1/jobs?state=pending,running&limit=2" + (after.map { "&after=\($0)" } ?? ""))
                let page = try r.decode(JobList.self)
                active += page.jobs
                after = page.next
            } while after != nil
            #expect(active.map(\.id) == all.map(\.id))
            #expect(active.count == 7)
            #expect(active == all)
            #expect(
                try await api.call(.get, "/v1/jobs?state=pending,running", as: "bo").decode(JobList.self).jobs.isEmpty)
            let tooMany = try await api.call(.get, "/v1/jobs?limit=10001")
            #expect(tooMany.status == .badRequest)
            #expect(tooMany.error == "limit is the most jobs to list (1 to 10000), not '10001'")
        }
    }
}
