import Foundation
import RasporedAPI
import Testing

@testable import Controller

/// The controller's book of steps: numbering, orders until the agent dials back, either order of the
/// client's wait and the agent's arrival, giving up, and its bounds. And the frames' encoding.
struct StepBookTests {
    let request = StepRequest(command: ["hostname"])

    @Test func stepsAreNumberedPerJobAndOrderedUntilTheirAgentDialsBack() throws {
        var book = StepBook()
        let a = try book.open(jobId: 7, runId: "7", nodes: ["dgx01"], request: request, at: 100)
        let b = try book.open(jobId: 7, runId: "7", nodes: ["dgx02"], request: request, at: 100)
        let c = try book.open(jobId: 8, runId: "8.1", nodes: ["dgx01"], request: request, at: 100)
        #expect([a.key, b.key, c.key] == ["7.0", "7.1", "8.0"])
        #expect(book.orders(for: "dgx01").map(\.key) == ["7.0", "8.0"])
        #expect(book.orders(for: "dgx01").last?.runId == "8.1")
        #expect(book.steps(of: 7).map(\.state) == [.starting, .starting])
    }

    @Test func aStepEndsWithTheReasonWhenGivenUpAndItsOrderStops() throws {
        var book = StepBook()
        let order = try book.open(jobId: 7, runId: "7", nodes: ["dgx01"], request: request, at: 100)
        book.giveUp(order.key, reason: "the agent of dgx01 did not connect within 30 s", at: 130)
        #expect(book.orders(for: "dgx01").isEmpty)
        let view = try #require(book.steps(of: 7).first)
        #expect(view.state == .failed)
        #expect(view.reason == "the agent of dgx01 did not connect within 30 s")
        #expect(view.endTime == 130)
        book.end(order.key, state: .completed, exit: StepExit(exitCode: 0), at: 140)
        #expect(book.steps(of: 7).first?.state == .failed, "an ended step keeps its end")
    }

    @Test func aReplyCarriesStepOrdersUpToItsBudgetAndTheRestComeNext() throws {
        var book = StepBook()
        // Five steps with 1.5 MiB of environment each: two fit a reply's 4 MiB, then two, then one.
        let big = StepRequest(command: ["x"], environment: ["E": String(repeating: "e", count: 3 << 19)])
        var keys: [String] = []
        for _ in 0..<5 { keys.append(try book.open(jobId: 7, runId: "7", nodes: ["n"], request: big, at: 1).key) }
        #expect(book.orders(for: "n").map(\.key) == Array(keys[0..<2]))
        // Once their agent has dialled back, the next ones go.
        for key in keys[0..<2] { book.giveUp(key, reason: "test", at: 2) }
        #expect(book.orders(for: "n").map(\.key) == Array(keys[2..<4]))
        // One order larger than the budget still goes, alone.
        var one = StepBook()
        let huge = StepRequest(command: ["x"], environment: ["E": String(repeating: "e", count: 5 << 20)])
        _ = try one.open(jobId: 8, runId: "8", nodes: ["n"], request: huge, at: 1)
        #expect(one.orders(for: "n").count == 1)
    }

    @Test func anOrdersSizeIsAtLeastItsJSON() throws {
        let nasty = StepRequest(
            command: ["a\u{1}b", "/x\"y"], term: "xterm\u{7}",
            environment: ["K\u{2}": String(repeating: "\u{1}", count: 1000) + "/\\\"", "PATH": "/usr/bin:/bin"])
        let order = StepOrder(jobId: 1, runId: "1.0", step: 0, nodes: ["dgx01", "dgx02"], request: nasty)
        #expect(order.approximateBytes >= (try JSONEncoder().encode(order)).count)
    }

    @Test func atMost64StepsOfAJobAreLiveAtOnce() throws {
        var book = StepBook()
        for _ in 0..<StepBook.maxLive { _ = try book.open(jobId: 7, runId: "7", nodes: ["n"], request: request, at: 1) }
        #expect(throws: ControllerError.self) {
            try book.open(jobId: 7, runId: "7", nodes: ["n"], request: request, at: 1)
        }
        book.end("7.0", state: .completed, exit: StepExit(exitCode: 0), at: 2)
        #expect(try book.open(jobId: 7, runId: "7", nodes: ["n"], request: request, at: 3).step == StepBook.maxLive)
        #expect(try book.open(jobId: 8, runId: "8", nodes: ["n"], request: request, at: 3).step == 0)
    }

    @Test func framesReadBackAsWrittenAndOthersAreRefused() throws {
        let frames: [StepFrame] = [
            .start(StepRequest(command: ["bash"], pty: true, rows: 40, cols: 100, term: "xterm", nodes: ["dgx02"])),
            .started(StepStarted(jobId: 42, step: 3, nodes: ["dgx01", "dgx02"])), .stdin([1, 2, 3]), .stdinEnd,
            .stdout(Array("héllo".utf8)), .stderr([]), .resize(rows: 300, cols: 1000), .signal(2),
            .exit(StepExit(signal: 9)), .failed("job 42 belongs to ana"),
        ]
        for frame in frames { #expect(try StepFrame(decoding: frame.encoded()) == frame) }
        for bad: [UInt8] in [[], [0], [11], [7, 1, 2], [8], [8, 1, 2], [1, 0x7b]] {
            #expect(throws: StepFrameError.self) { try StepFrame(decoding: bad) }
        }
        let chunks = StepFrame.chunks([UInt8](repeating: 65, count: StepFrame.maxData * 2 + 1), stderr: true)
        #expect(chunks.count == 3)
        #expect(StepExit(signal: 9).status == 137)
        #expect(StepRequest(command: []).problem != nil)
        #expect(StepRequest(command: ["a\u{0}b"]).problem != nil)
    }

    @Test func aMultiNodeStepEndsWithItsHighestStatusAndEveryNodesReason() {
        let exits: [(node: String, exit: StepExit)] = [
            ("dgx01", StepExit(exitCode: 0)), ("dgx02", StepExit(signal: 9)),
            ("dgx03", StepExit(exitCode: 127, reason: "cannot execute x")),
        ]
        let combined = StepRelay.combined(exits)
        #expect(combined.signal == 9 && combined.status == 137)
        #expect(combined.reason == "dgx03: cannot execute x")
        #expect(
            StepRelay.combined([("dgx01", StepExit(exitCode: 3, reason: "r"))]) == StepExit(exitCode: 3, reason: "r"))
    }

    @Test func aJobCredentialIsItsRunsAlone() {
        let credential = StepCredential.load(besideStoreAt: ":memory:")
        let secret = credential.issue(runId: "42")
        #expect(secret.hasPrefix("rsj_"))
        #expect(credential.verify(secret, runId: "42"))
        #expect(!credential.verify(secret, runId: "42.1"), "a requeued job's next run has another")
        #expect(!credential.verify(secret, runId: "43"))
        #expect(!StepCredential.load(besideStoreAt: ":memory:").verify(secret, runId: "42"), "another key")
        #expect(!credential.verify(String(secret.dropLast()) + "x", runId: "42"))
    }
}
