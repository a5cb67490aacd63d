import Foundation
import RasporedAPI
import Testing

@testable import Agent

/// The order-handling rules, without processes or HTTP.
@Suite struct RunBookTests {
    func record(_ id: String, _ state: JobState, pid: Int32 = 100, exit: Int32? = nil) -> JobRecord {
        JobRecord(
            jobId: id, name: "n", command: ["true"], workingDirectory: "/", stdoutPath: "/tmp/\(id).out", gpus: [],
            cpus: [], mems: [], pid: pid, startedAt: Date(timeIntervalSince1970: 1000),
            endedAt: state.isFinal ? Date(timeIntervalSince1970: 2000) : nil, state: state, exitCode: exit)
    }

    func status(_ book: RunBook, _ id: String) -> RunStatus? { book.statuses.first { $0.runId == id } }

    @Test func aLaunchIsStartingAtOnceAndRepeatedLaunchesAreIgnored() {
        var book = RunBook()
        let a = assignment("7", "true", workdir: "/")
        let first = book.apply(AgentOrders(launch: [a, a]))
        #expect(first.launch == [a])
        #expect(status(book, "7")?.phase == .starting)
        let d1 = book.apply(AgentOrders(launch: [a]))
        #expect(d1.launch.isEmpty)
        book.observe(record("7", .running))
        let d2 = book.apply(AgentOrders(launch: [a]))
        #expect(d2.launch.isEmpty)
        #expect(status(book, "7")?.phase == .running)
        #expect(status(book, "7")?.pid == 100)
    }

    @Test func stopsArePassedOnOnceForRunsThatHaveNotEnded() {
        var book = RunBook()
        _ = book.apply(
            AgentOrders(launch: [assignment("1", "true", workdir: "/"), assignment("2", "true", workdir: "/")]))
        book.observe(record("1", .running))
        book.observe(record("2", .completed, exit: 0))
        let stop1 = StopOrder(runId: "1", why: .cancel, message: "cancelled by ana")
        let d = book.apply(
            AgentOrders(stop: [
                stop1, StopOrder(runId: "2", why: .cancel, message: "late"),
                StopOrder(runId: "99", why: .unknown, message: "who?"),
            ]))
        #expect(d.stop == [stop1])
        #expect(book.stopOrder(for: "1") == stop1)
        let d3 = book.apply(AgentOrders(stop: [stop1]))
        #expect(d3.stop.isEmpty)
        var stopped = record("1", .cancelled)
        stopped.reason = "cancelled by ana"
        book.observe(stopped)
        book.shipped("1", upTo: 0, complete: true)
        #expect(status(book, "1")?.phase == .stopped)
        #expect(status(book, "1")?.reason == "cancelled by ana")
    }

    @Test func anEndIsReportedOnlyOnceItsOutputIsShipped() {
        var book = RunBook()
        book.observe(record("3", .running))
        book.shipped("3", upTo: 10)
        #expect(book.pendingOutput == [.init(runId: "3", path: "/tmp/3.out", offset: 10, final: false)])
        book.observe(record("3", .failed, exit: 2))
        #expect(status(book, "3")?.phase == .running)
        #expect(status(book, "3")?.exitCode == nil)
        #expect(book.pendingOutput == [.init(runId: "3", path: "/tmp/3.out", offset: 10, final: true)])
        let notYet = book.shipped("3", upTo: 20, complete: false)
        #expect(!notYet)
        #expect(status(book, "3")?.phase == .running)
        let nowFinal = book.shipped("3", upTo: 25, complete: true)
        #expect(nowFinal)
        let s = status(book, "3")
        #expect(s?.phase == .failed)
        #expect(s?.exitCode == 2)
        #expect(s?.outputShipped == 25)
        #expect(s?.endedAt == 2000)
        #expect(book.pendingOutput.isEmpty)
        // A late "running" (a launch's own answer after the end's event) does not bring it back.
        book.observe(record("3", .running))
        #expect(status(book, "3")?.phase == .failed)
    }

    @Test func acknowledgedRunsAreForgottenOnceTheirEndWasReported() {
        var book = RunBook()
        let a = assignment("4", "true", workdir: "/")
        _ = book.apply(AgentOrders(launch: [a]))
        book.observe(record("4", .running))
        // Acknowledging a run that has not ended is a mistake: it is still reported.
        let d4 = book.apply(AgentOrders(acknowledged: ["4"]))
        #expect(d4.forget.isEmpty)
        #expect(status(book, "4") != nil)
        book.observe(record("4", .completed, exit: 0))
        // Ended, but the output is not all shipped: the controller cannot have seen the end yet.
        let d5 = book.apply(AgentOrders(acknowledged: ["4"]))
        #expect(d5.forget.isEmpty)
        book.shipped("4", upTo: 0, complete: true)
        let d6 = book.apply(AgentOrders(acknowledged: ["4"]))
        #expect(d6.forget == ["4"])
        #expect(book.statuses.isEmpty)
        #expect(book.acknowledged == ["4"])
        // Never launched or reported again.
        let d7 = book.apply(AgentOrders(launch: [a]))
        #expect(d7.launch.isEmpty)
        book.observe(record("4", .completed, exit: 0))
        #expect(book.statuses.isEmpty)
    }

    @Test func reregisterIsPassedOn() {
        var book = RunBook()
        let d8 = book.apply(AgentOrders(reregister: true))
        #expect(d8.reregister)
        let d9 = book.apply(AgentOrders())
        #expect(!d9.reregister)
    }

    @Test func aLaunchThatFailedIsFinalWithNoOutputToShip() {
        var book = RunBook()
        _ = book.apply(AgentOrders(launch: [assignment("5", "true", workdir: "/")]))
        book.launchFailed("5", reason: "core 500 is not on this node", now: Date(timeIntervalSince1970: 3000))
        #expect(status(book, "5")?.phase == .launchFailed)
        #expect(status(book, "5")?.reason == "core 500 is not on this node")
        #expect(book.pendingOutput.isEmpty)
    }

    @Test(arguments: [
        (JobState.running, false, RunPhase.running), (.completed, false, .completed), (.failed, false, .failed),
        (.failed, true, .launchFailed), (.cancelled, false, .stopped), (.timedOut, false, .timedOut),
        (.lost, false, .lost),
    ])
    func launcherStatesReadAsPhases(state: JobState, execFailed: Bool, phase: RunPhase) {
        var r = record("6", state)
        r.execFailed = execFailed ? true : nil
        #expect(RunBook.phase(of: r) == phase)
    }
}
