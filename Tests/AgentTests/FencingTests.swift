import Foundation
import Logging
import RasporedAPI
import Testing

@testable import Agent

/// The lease's decisions, as a plain value (boot-clock seconds).
@Suite struct LeaseTests {
    let terms = LeaseTerms(leaseSeconds: 30, killGraceSeconds: 10)

    @Test func itRunsFromWhenTheAnsweredRequestWasSentAndLapsesOnce() {
        var lease = Lease()
        // No terms yet: it never lapses.
        let r1 = lease.check(now: 1e9)
        #expect(!r1)
        let r2 = lease.registered(sentAt: 100, terms: terms)
        #expect(r2)
        #expect(lease.deadline == 130)
        // A long poll sent at 125 and answered at 131: the lease runs from 125.
        let r3 = lease.answered(sentAt: 125)
        #expect(r3)
        let r4 = lease.check(now: 131)
        #expect(!r4)
        #expect(lease.deadline == 155)
        // An older request answered late does not move it back.
        let r5 = lease.answered(sentAt: 110)
        #expect(!r5)
        #expect(lease.deadline == 155)
        let r6 = lease.check(now: 154.9)
        #expect(!r6)
        let r7 = lease.check(now: 155)
        #expect(r7)
        let r8 = lease.check(now: 156)
        #expect(!r8)  // once
        #expect(lease.isLapsed)
        #expect(!lease.mayLaunch)
        #expect(lease.lapsedAt == 155)
        #expect(lease.reason == "no word from the controller for 30 s (lease)")
    }

    @Test func onceLapsedOnlyARegistrationSentAfterwardsRestoresIt() {
        var lease = Lease(terms: terms, renewedAt: 0)
        let r9 = lease.check(now: 40)
        #expect(r9)
        // A heartbeat answered after the lapse renews nothing, whenever it was sent.
        let r10 = lease.answered(sentAt: 39)
        #expect(!r10)
        let r11 = lease.answered(sentAt: 41)
        #expect(!r11)
        #expect(lease.isLapsed)
        // A registration sent before the lapse was noticed vouches for nothing since.
        let r12 = lease.registered(sentAt: 35, terms: terms)
        #expect(!r12)
        #expect(lease.isLapsed)
        let r13 = lease.registered(sentAt: 42, terms: terms)
        #expect(r13)
        #expect(!lease.isLapsed)
        #expect(lease.mayLaunch)
        #expect(lease.deadline == 72)
    }

    @Test func aControllerThatDoesNotFenceLeavesNoLease() {
        var lease = Lease(terms: terms, renewedAt: 0)
        let r14 = lease.registered(sentAt: 5, terms: nil)
        #expect(r14)
        #expect(lease.deadline == nil)
        let r15 = lease.check(now: 1e9)
        #expect(!r15)
    }
}

@Suite struct RunBookFencingTests {
    func record(_ id: String, _ state: JobState, signal: Int32? = nil, endedAt: Date? = nil) -> JobRecord {
        JobRecord(
            jobId: id, name: "j", command: ["true"], workingDirectory: "/tmp", stdoutPath: "/tmp/x", gpus: [], cpus: [],
            mems: [], pid: 4242, processGroup: 4242, startedAt: Date(timeIntervalSince1970: 1000), endedAt: endedAt,
            state: state, signal: signal)
    }

    @Test func runsStillGoingAreStoppedAndWhatEndsAfterTheLapseIsReportedStoppedByTheLease() {
        var book = RunBook()
        let since = Date(timeIntervalSince1970: 2000)
        book.observe(record("1", .running))
        book.observe(record("2", .completed, endedAt: since.addingTimeInterval(5)))
        book.observe(record("3", .failed, signal: 9, endedAt: since.addingTimeInterval(1)))
        book.observe(record("4", .failed, endedAt: since.addingTimeInterval(-1)))
        let reason = "no word from the controller for 30 s (lease)"
        let r16 = book.fence(reason: reason, since: since)
        #expect(r16 == ["1"])
        #expect(book.fenceReason(for: "1") == reason)
        // Run 1 is killed by the watchdog's SIGKILL: reported stopped with the lease's words.
        book.observe(record("1", .failed, signal: 9, endedAt: since.addingTimeInterval(40)))
        for id in ["1", "2", "3", "4"] { book.shipped(id, upTo: 0, complete: true) }
        let byId = Dictionary(uniqueKeysWithValues: book.statuses.map { ($0.runId, $0) })
        #expect(byId["1"]?.phase == .stopped)
        #expect(byId["1"]?.reason == reason)
        #expect(byId["1"]?.signal == 9)
        // Success stays success; an end before the lapse stays what it was.
        #expect(byId["2"]?.phase == .completed)
        #expect(byId["3"]?.phase == .stopped)
        #expect(byId["3"]?.reason == reason)
        #expect(byId["4"]?.phase == .failed)
    }
}

/// The scripted controller, giving a lease in its registration replies.
private struct LeasingController: ControllerTransport {
    let inner: ScriptedController
    let terms: LeaseTerms

    func register(_ registration: AgentRegistration) async throws -> AgentRegistrationReply {
        var reply = try await inner.register(registration)
        reply.leaseSeconds = terms.leaseSeconds
        reply.killGraceSeconds = terms.killGraceSeconds
        return reply
    }

    func heartbeat(_ heartbeat: AgentHeartbeat, wait: Double) async throws -> AgentOrders {
        try await inner.heartbeat(heartbeat, wait: wait)
    }

    func sendOutput(runId: String, offset: Int64, bytes: [UInt8]) async throws -> OutputReply {
        try await inner.sendOutput(runId: runId, offset: offset, bytes: bytes)
    }
}

/// The agent's own fencing, end to end on this machine: a real run, a scripted controller that goes silent.
@Suite(.serialized) struct SessionFencingTests {
    @Test func withNoWordForTheLeaseTheRunIsStoppedNothingIsLaunchedAndItIsReportedOnReturn() async throws {
        let dir = try temporaryDirectory("fencing")
        defer { try? FileManager.default.removeItem(at: dir) }
        let controller = ScriptedController()
        let launcher = try JobLauncher(
            stateDirectory: dir.appendingPathComponent("state").path, shimExecutable: try Repo.execShim(),
            gracePeriod: .seconds(30), host: "testhost")
        let node = try DiscoveredNode.discover(.live)
        var configuration = AgentSession.Configuration(node: "testhost", version: "test")
        configuration.tick = .milliseconds(10)
        configuration.backoff = Backoff(initial: .milliseconds(20), maximum: .milliseconds(100))
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        // A job that ignores SIGTERM: only the kill grace's SIGKILL ends it (the launcher's own grace is 30 s).
        let session = AgentSession(
            configuration: configuration, discovered: node, launcher: launcher,
            mapping: AssignmentMapping(node: node, bind: false),
            transport: LeasingController(inner: controller, terms: LeaseTerms(leaseSeconds: 1, killGraceSeconds: 0.5)),
            logger: logger)
        await controller.queue(
            AgentOrders(launch: [
                assignment("20", "trap '' TERM; echo up; while :; do sleep 0.05; done", workdir: dir.path)
            ]))
        let task = Task { try await session.run() }
        defer { task.cancel() }
        #expect(await eventuallyAsync(within: 20) { await controller.lastStatus("20")?.phase == .running })
        let pid = try #require(await launcher.record("20")?.pid)
        // The lease is in the state directory, for the watchdog.
        let file = try #require(LeaseFile.read(from: dir.appendingPathComponent("state/lease.json")))
        #expect(file.terms.leaseSeconds == 1)
        #expect(file.agentPid == getpid())

        await controller.setDown(true)
        #expect(await eventuallyAsync(within: 20) { await launcher.record("20")?.state.isFinal == true })
        let ended = try #require(await launcher.record("20"))
        #expect(ended.reason == "no word from the controller for 1 s (lease)")
        #expect(!ProcessProbe.isAlive(pid))
        // (Eventually: a machine that stalls past the 1 s lease before the controller goes down lets the lease
        // lapse, and the agent register again, while the controller is still up; it then lapses again.)
        #expect(await eventuallyAsync(within: 20) { await session.lease.isLapsed })
        // Orders that reach it meanwhile launch nothing.
        await session.apply(AgentOrders(launch: [assignment("21", "true", workdir: dir.path)]))
        #expect(await launcher.record("21") == nil)
        #expect(await !session.book.knows("21"))

        // The controller is back: the agent registers again and reports the run stopped, with the reason.
        let registrations = await controller.registrations.count
        await controller.setDown(false)
        #expect(await eventuallyAsync(within: 20) { await controller.registrations.count > registrations })
        #expect(await eventuallyAsync(within: 20) { await controller.lastStatus("20")?.phase == .stopped })
        #expect(await controller.lastStatus("20")?.reason == "no word from the controller for 1 s (lease)")
        #expect(await eventuallyAsync(within: 20) { await !session.lease.isLapsed })
        // Launches are taken again. (As a real controller does, the order is repeated until the run is
        // reported: a machine that stalls past the 1 s lease here lets it lapse once more, and an order that
        // reaches the agent meanwhile launches nothing. Beside the other service suites on 2 cores that
        // happened for more than 30 s in two CI runs of ten, hence the minute.)
        var ordered = Date.distantPast
        #expect(
            await eventuallyAsync(within: 60) {
                if await controller.lastStatus("22") == nil, Date().timeIntervalSince(ordered) > 2 {
                    ordered = Date()
                    await controller.queue(AgentOrders(launch: [assignment("22", "true", workdir: dir.path)]))
                }
                return await controller.lastStatus("22")?.phase == .completed
            })
    }
}

/// The watchdog, on real processes: a run launched by the launcher, an "agent" that is a stopped process.
@Suite(.serialized) struct WatchdogTests {
    @Test func itTerminatesTheRunsOfAStoppedAgentAtTheLeaseAndKillsWhatIsLeftAfterTheGrace() async throws {
        let dir = try temporaryDirectory("watchdog")
        defer { try? FileManager.default.removeItem(at: dir) }
        let state = dir.appendingPathComponent("state")
        let launcher = try JobLauncher(
            stateDirectory: state.path, shimExecutable: try Repo.execShim(), gracePeriod: .seconds(30), host: "t")
        // Run 30 logs SIGTERM and keeps going; run 31 is a local job (not a controller run): never touched.
        let log = dir.appendingPathComponent("log").path
        let stubborn = try await launcher.launch(
            LaunchRequest(
                jobId: "30", name: "stubborn",
                command: ["/bin/sh", "-c", "trap 'echo term >> \(log)' TERM; while :; do sleep 0.05; done"],
                workingDirectory: dir.path))
        let local = try await launcher.launch(
            LaunchRequest(jobId: "local-1", name: "local", command: ["sleep", "60"], workingDirectory: dir.path))
        defer {
            for pid in [stubborn.pid, local.pid].compactMap({ $0 }) { kill(-pid, SIGKILL) }
        }
        let agent = Process()
        agent.executableURL = URL(fileURLWithPath: "/bin/sleep")
        agent.arguments = ["60"]
        try agent.run()
        defer {
            kill(agent.processIdentifier, SIGKILL)
            agent.waitUntilExit()
        }
        let now = BootClock.now()
        try LeaseFile(
            bootId: BootClock.bootId(), renewedAt: now - 10, terms: LeaseTerms(leaseSeconds: 5, killGraceSeconds: 20),
            agentPid: agent.processIdentifier, watchdogPid: nil
        ).write(to: LeaseFile.url(in: state))
        let watchdog = Watchdog(stateDirectory: state, agentPid: agent.processIdentifier)
        var signalled: Set<String> = []

        // The agent is running: at the lapse it stops its runs itself, so the watchdog waits for the grace.
        var step = watchdog.step(now: now, signalled: &signalled)
        #expect(step.terminated.isEmpty)
        #expect(step.killed.isEmpty)
        #expect(!step.done)

        // Stopped: the watchdog sends SIGTERM, once.
        kill(agent.processIdentifier, SIGSTOP)
        #expect(soon { ProcessProbe.stat(agent.processIdentifier)?.state == "T" })
        step = watchdog.step(now: now, signalled: &signalled)
        #expect(step.terminated == ["30"])
        #expect(soon { ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "") == "term\n" })
        step = watchdog.step(now: now + 1, signalled: &signalled)
        #expect(step.terminated.isEmpty)
        #expect(step.killed.isEmpty)

        // Past the kill grace: SIGKILL to what is left.
        step = watchdog.step(now: now + 16, signalled: &signalled)
        #expect(step.killed == ["30"])
        let end = try #require(await launcher.wait("30"))
        #expect(end.signal == SIGKILL)
        #expect(ProcessProbe.isAlive(local.pid!))

        // A renewed lease stops it acting; another agent's watchdog in the file makes it exit.
        try LeaseFile(
            bootId: BootClock.bootId(), renewedAt: now + 16, terms: LeaseTerms(leaseSeconds: 5, killGraceSeconds: 20),
            agentPid: agent.processIdentifier + 100_000, watchdogPid: getpid() + 100_000
        ).write(to: LeaseFile.url(in: state))
        step = watchdog.step(now: now + 17, signalled: &signalled)
        #expect(step.done)
        // The launcher has written its last record before the directory goes.
        kill(-local.pid!, SIGKILL)
        _ = await launcher.wait("local-1")
    }
}

private func soon(within seconds: Double = 10, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(20_000)
    }
    return condition()
}

/// Terms from the controller's reply or the lease file are numbers from outside: only keepable ones are taken.
@Suite struct LeaseTermsSanityTests {
    @Test func onlyFinitePositiveBoundedTermsAreSane() {
        #expect(LeaseTerms(leaseSeconds: 300, killGraceSeconds: 10).areSane)
        #expect(LeaseTerms(leaseSeconds: 1, killGraceSeconds: 0).areSane)
        for (lease, grace) in [
            (0.0, 10.0), (-5, 10), (.infinity, 10), (.nan, 10), (1e300, 10), (300, -1), (300, .nan), (300, 1e19),
        ] {
            #expect(!LeaseTerms(leaseSeconds: lease, killGraceSeconds: grace).areSane, "\(lease) \(grace)")
        }
        #expect(SecondsText.of(1e300) == "1e+300")
        #expect(SecondsText.of(.nan) == "nan")
        #expect(SecondsText.of(300) == "300")
    }
}
