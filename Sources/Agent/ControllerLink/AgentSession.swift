import Foundation
import Logging
import RasporedAPI
import Scheduler

/// The agent connected to its controller: registers, keeps one long-poll heartbeat open, reports every
/// start and end at once with a `wait=0` heartbeat, applies the orders in every reply, and ships the
/// runs' output. The decisions are `RunBook`'s; this actor carries them out with the launcher and the
/// transport.
///
/// Three loops run side by side until the task is cancelled:
/// - the reporter registers (at start, after `reregister`, after the controller was unreachable; with
///   backoff) and sends a `wait=0` heartbeat whenever something changed;
/// - the poller keeps one `wait=heartbeatSeconds` heartbeat open while registered;
/// - the shipper sends output increments every `shipInterval`, and flushes an ended run's output before
///   its end is reported.
/// A fourth task follows the launcher's events, and a fifth keeps the lease (`Lease`): every tick it looks
/// whether the lease has lapsed, and if so stops every run (SIGTERM, SIGKILL after the controller's kill
/// grace) and launches nothing until it has registered again. Each renewal is written to `STATE/lease.json`
/// for the watchdog (`Watchdog`) and for the next agent, which holds the same lease until it registers.
public actor AgentSession {
    public struct Configuration: Sendable {
        public var node: String
        public var version: String?
        /// How often running runs' output is shipped.
        public var shipInterval: Duration = .milliseconds(500)
        /// How often the loops look for work (a changed run, a wanted registration).
        public var tick: Duration = .milliseconds(50)
        /// The long poll's length until the controller says (its registration reply's `heartbeatSeconds`).
        public var heartbeatSeconds: Double = 5
        public var backoff = Backoff()
        public var shipper = OutputShipper()
        /// The watchdog process started for this agent, named in the lease file.
        public var watchdogPid: Int32?
        /// How often running runs are sampled (CPU, memory, GPUs) for their efficiency.
        public var sampleInterval: Duration = .seconds(30)
        /// Reads the node's GPUs (NVML, ROCm SMI); nil samples CPU and memory alone.
        public var gpuReader: (any GPUReader)?

        public init(node: String, version: String? = nil) {
            self.node = node
            self.version = version
        }
    }

    public nonisolated let configuration: Configuration
    public nonisolated let discovered: DiscoveredNode
    public nonisolated let launcher: JobLauncher
    public nonisolated let mapping: AssignmentMapping
    /// Runs the steps the controller orders; nil ignores step orders.
    public nonisolated let steps: StepRunner?
    private let transport: any ControllerTransport
    private let logger: Logger
    private let offsetsFile: URL

    public private(set) var book = RunBook()
    /// The last registration's answer.
    public private(set) var registration: AgentRegistrationReply?
    private var registered = false
    private var everRegistered = false
    private var heartbeatSeconds: Double
    private var beatWanted = false
    private var shipWanted = false
    private var savedOffsets: [String: Int64] = [:]
    private var warnedOutput: Set<String> = []
    /// The lease, on the boot clock; continued from the lease file a previous agent left.
    public private(set) var lease: Lease
    private let leaseFile: URL
    private var leaseWritten: LeaseFile?

    public init(
        configuration: Configuration, discovered: DiscoveredNode, launcher: JobLauncher, mapping: AssignmentMapping,
        transport: any ControllerTransport, logger: Logger, steps: StepRunner? = nil
    ) {
        self.steps = steps
        self.configuration = configuration
        self.discovered = discovered
        self.launcher = launcher
        self.mapping = mapping
        self.transport = transport
        self.logger = logger
        self.heartbeatSeconds = configuration.heartbeatSeconds
        offsetsFile = launcher.stateDirectory.root.appendingPathComponent("output-shipped.json")
        leaseFile = LeaseFile.url(in: launcher.stateDirectory.root)
        let held = LeaseFile.read(from: leaseFile)
        lease = Lease(terms: held?.terms, renewedAt: held?.renewedAt)
        leaseWritten = held
    }

    /// Runs until cancelled. Throws only when the controller refuses the very first registration (a bad
    /// token, a node it does not have): an agent that can never be accepted should say so and stop.
    public func run() async throws {
        // A signal for a job (cancel --signal, its warning before the time limit) reaches its steps too.
        if let steps { await launcher.alsoSignal { runId, signal in await steps.signal(runId, signal) } }
        try await recover()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.followLauncher() }
            group.addTask { try await self.reportLoop() }
            group.addTask { await self.pollLoop() }
            group.addTask { await self.shipLoop() }
            group.addTask { await self.leaseLoop() }
            group.addTask { await self.sampleLoop() }
            try await group.next()
            group.cancelAll()
        }
    }

    /// Every run not yet acknowledged, as the next heartbeat reports it.
    public var statuses: [RunStatus] { book.statuses }

    // MARK: - Start

    /// Adopts what the launcher's state directory holds (live runs, ended ones not yet acknowledged) with
    /// the output offsets shipped before the restart.
    func recover() async throws {
        savedOffsets = loadOffsets()
        for record in try await launcher.recover() {
            guard RunId.parse(record.jobId) != nil else {
                logger.warning("ignoring job \(record.jobId) in the state directory: not a controller run id")
                continue
            }
            book.observe(record)
            book.shipped(record.jobId, upTo: savedOffsets[record.jobId] ?? 0)
            logger.info("recovered run \(record.jobId): \(record.state.rawValue)")
        }
        shipWanted = true
    }

    // MARK: - Orders

    /// Applies one reply's orders: launches (each in its own task), stops, forgets acknowledged runs.
    func apply(_ orders: AgentOrders) async {
        var orders = orders
        if !lease.mayLaunch && !orders.launch.isEmpty {
            logger.notice("the lease has lapsed: not launching \(orders.launch.map(\.runId)) until registered again")
            orders.launch = []
        }
        let decisions = book.apply(orders)
        if decisions.reregister {
            logger.notice("the controller asks this agent to register again")
            registered = false
        }
        for assignment in decisions.launch {
            logger.info("launching run \(assignment.runId) (job \(assignment.jobId), \(assignment.name))")
            beatWanted = true  // it is `starting` now
            Task { await self.launch(assignment) }
        }
        for order in decisions.stop {
            logger.info("stopping run \(order.runId) (\(order.why.rawValue)): \(order.message)")
            await launcher.cancel(order.runId, reason: Self.reason(order))
        }
        for s in orders.signal ?? [] {
            logger.info("signal \(SignalName.name(s.signal)) to run \(s.runId)\(s.batchOnly ? " (batch shell)" : "")")
            await launcher.signal(s.runId, s.signal, batchOnly: s.batchOnly)
        }
        for runId in decisions.forget { await launcher.forget(runId) }
        if !decisions.forget.isEmpty { saveOffsets() }
        if let orders = orders.steps, !orders.isEmpty, lease.mayLaunch { await steps?.start(orders) }
    }

    private static func reason(_ order: StopOrder) -> String {
        order.message.isEmpty ? "stopped by the controller (\(order.why.rawValue))" : order.message
    }

    func launch(_ assignment: RunAssignment) async {
        let runId = assignment.runId
        do {
            let request = try mapping.request(for: assignment)
            let record = try await launcher.launch(request)
            book.observe(record)
            // A stop that came while the launch was under way, before the launcher knew the run.
            if let order = book.stopOrder(for: runId) { await launcher.cancel(runId, reason: Self.reason(order)) }
            if let reason = book.fenceReason(for: runId) { await stopForLease(runId, reason: reason) }
        } catch {
            logger.error("run \(runId) could not be launched: \(error)")
            book.launchFailed(runId, reason: "\(error)")
        }
        beatWanted = true
    }

    private func followLauncher() async {
        for await event in launcher.events {
            switch event {
            case .started(let record):
                book.observe(record)
                beatWanted = true
            case .finished(let record):
                book.observe(record)
                await steps?.runEnded(record.jobId)
                logger.info(
                    "run \(record.jobId) ended: \(record.state.rawValue)\(record.reason.map { ", \($0)" } ?? "")")
                // The end is reported once the shipper has flushed the output.
                shipWanted = true
            }
        }
    }

    // MARK: - Registration and heartbeats

    private func reportLoop() async throws {
        var backoff = configuration.backoff
        while !Task.isCancelled {
            if !registered {
                do {
                    try await register()
                    backoff.reset()
                } catch {
                    if !everRegistered, case ControllerCallError.rejected = error {
                        throw error
                    }
                    let delay = backoff.next()
                    logger.warning("cannot register with the controller (\(error)); retrying in \(delay)")
                    try? await Task.sleep(for: delay)
                }
                continue
            }
            if beatWanted {
                beatWanted = false
                do {
                    let sent = BootClock.now()
                    let orders = try await transport.heartbeat(AgentHeartbeat(runs: book.statuses), wait: 0)
                    answered(orders, sentAt: sent)
                    await apply(orders)
                } catch {
                    beatWanted = true
                    failed(error, doing: "heartbeat")
                    try? await Task.sleep(for: backoff.next())
                }
                continue
            }
            try? await Task.sleep(for: configuration.tick)
        }
    }

    /// Registers with every run not yet acknowledged; the reply's orders are applied.
    func register() async throws {
        let body = AgentRegistration(
            node: configuration.node, discovered: discovered, runs: book.statuses, version: configuration.version)
        let sent = BootClock.now()
        let reply = try await transport.register(body)
        registration = reply
        registered = true
        everRegistered = true
        var terms = reply.leaseSeconds.map {
            LeaseTerms(leaseSeconds: $0, killGraceSeconds: reply.killGraceSeconds ?? 0)
        }
        if let t = terms, !t.areSane {
            logger.error(
                "the controller's lease terms cannot be kept (lease \(t.leaseSeconds) s, kill grace \(t.killGraceSeconds) s); running without a lease"
            )
            terms = nil
        }
        if !lease.registered(sentAt: sent, terms: terms) {
            // Sent before the lapse was noticed: it vouches for nothing that happened since.
            registered = false
        }
        saveLease()
        beatWanted = false  // the registration carried every run
        heartbeatSeconds = reply.heartbeatSeconds > 0 ? reply.heartbeatSeconds : configuration.heartbeatSeconds
        if reply.accepted {
            logger.info(
                "registered with the controller: accepted, \(body.runs.count) run(s) reported, heartbeat \(heartbeatSeconds)s"
            )
        } else {
            logger.error(
                "registered, but the controller does not place jobs here: the hardware differs from cluster.yaml")
        }
        for difference in reply.differences { logger.warning("\(difference)") }
        await apply(reply.orders)
    }

    private func pollLoop() async {
        var backoff = configuration.backoff
        while !Task.isCancelled {
            guard registered else {
                try? await Task.sleep(for: configuration.tick)
                continue
            }
            do {
                let asked = ContinuousClock.now
                let sent = BootClock.now()
                let orders = try await transport.heartbeat(AgentHeartbeat(runs: book.statuses), wait: heartbeatSeconds)
                backoff.reset()
                answered(orders, sentAt: sent)
                await apply(orders)
                // A controller that answers a long poll at once with nothing (it does not hold requests)
                // is not asked again in a tight loop.
                let floor = configuration.tick * 5
                if orders.isEmpty && ContinuousClock.now - asked < floor { try? await Task.sleep(for: floor) }
            } catch {
                failed(error, doing: "long poll")
                try? await Task.sleep(for: backoff.next())
            }
        }
    }

    /// A failed call: the agent registers again when it is unknown or the controller was unreachable
    /// (the controller may have restarted, or declared the node down meanwhile).
    private func failed(_ error: any Error, doing what: String) {
        guard !Task.isCancelled else { return }
        switch error as? ControllerCallError {
        case .unknownAgent?:
            logger.notice("\(what): \(error); registering again")
            registered = false
        case .rejected?:
            logger.error("\(what): \(error)")
        default:
            if registered { logger.warning("\(what): \(error); jobs keep running, reconnecting") }
            registered = false
        }
    }

    // MARK: - Lease

    /// A heartbeat sent at `sent` was answered: the lease is renewed unless the controller no longer knows
    /// this agent (`reregister`).
    private func answered(_ orders: AgentOrders, sentAt sent: Double) {
        guard !orders.reregister, lease.answered(sentAt: sent) else { return }
        saveLease()
    }

    /// Samples every running run each `sampleInterval`; the heartbeats carry the latest sample.
    private func sampleLoop() async {
        let buses = Dictionary(discovered.gpus.map { ($0.index, $0.pciBusId) }, uniquingKeysWith: { a, _ in a })
        var sampler = RunSampler(busIds: buses, reader: configuration.gpuReader)
        while !Task.isCancelled {
            let running = await launcher.jobs().filter { $0.state == .running }
            for record in running {
                if let usage = sampler.sample(record, at: Date()) { book.sampled(record.jobId, usage) }
            }
            sampler.keep(Set(running.map(\.jobId)))
            try? await Task.sleep(for: configuration.sampleInterval)
        }
    }

    private func leaseLoop() async {
        while !Task.isCancelled {
            if lease.check(now: BootClock.now()) { await lapsed() }
            try? await Task.sleep(for: configuration.tick)
        }
    }

    /// The lease ran out: every run is stopped and reported `stopped` with the lease's words, nothing is
    /// launched, and the agent registers again.
    func lapsed() async {
        let reason = lease.reason
        let late = BootClock.now() - (lease.lapsedAt ?? BootClock.now())
        let since = Date().addingTimeInterval(-late)
        let stop = book.fence(reason: reason, since: since)
        logger.error(
            "\(reason): stopping \(stop.count) run(s)\(stop.isEmpty ? "" : " (\(stop.joined(separator: ", ")))"); launching nothing until registered again"
        )
        registered = false
        beatWanted = false
        shipWanted = true
        for runId in stop { await stopForLease(runId, reason: reason) }
    }

    /// The launcher's stop with the controller's kill grace (SIGTERM now, SIGKILL after it): the controller
    /// counts on nothing of the run going past lease + kill grace.
    private func stopForLease(_ runId: String, reason: String) async {
        await launcher.cancel(runId, reason: reason, grace: .seconds(lease.terms?.killGraceSeconds ?? 0))
    }

    /// Writes the lease file when the lease moved (a quarter second or more) or its terms changed.
    private func saveLease() {
        if lease.terms == nil, leaseWritten != nil {
            // A controller that does not fence: no lease for the watchdog to enforce.
            unlink(leaseFile.path)
            leaseWritten = nil
        }
        guard let terms = lease.terms, let renewed = lease.renewedAt, !lease.isLapsed else { return }
        if let w = leaseWritten, w.terms == terms, renewed - w.renewedAt < 0.25,
            w.watchdogPid == configuration.watchdogPid, w.agentPid == getpid()
        {
            return
        }
        let file = LeaseFile(
            bootId: BootClock.bootId(), renewedAt: renewed, terms: terms, agentPid: getpid(),
            watchdogPid: configuration.watchdogPid)
        do {
            try file.write(to: leaseFile)
            leaseWritten = file
        } catch {
            logger.warning("cannot write the lease file \(leaseFile.path): \(error)")
        }
    }

    // MARK: - Output

    private func shipLoop() async {
        var next = ContinuousClock.now
        while !Task.isCancelled {
            if registered && (shipWanted || ContinuousClock.now >= next) {
                shipWanted = false
                await shipOutput()
                next = ContinuousClock.now + configuration.shipInterval
            }
            try? await Task.sleep(for: configuration.tick)
        }
    }

    /// One pass over every run with output to send. An ended run whose output is all shipped becomes
    /// reportable, and a heartbeat reports it.
    func shipOutput() async {
        for work in book.pendingOutput {
            do {
                let progress = try await configuration.shipper.ship(
                    path: work.path, runId: work.runId, from: work.offset, final: work.final, owner: work.owner,
                    over: transport)
                if book.shipped(work.runId, upTo: progress.offset, complete: work.final && progress.caughtUp) {
                    beatWanted = true
                }
            } catch ControllerCallError.rejected(let status, let message) {
                if warnedOutput.insert(work.runId).inserted {
                    logger.error("the controller refuses run \(work.runId)'s output (\(status)): \(message)")
                }
                // Its end must still be reported: without the rest of the output rather than never.
                if work.final, book.shipped(work.runId, upTo: work.offset, complete: true) { beatWanted = true }
            } catch {
                failed(error, doing: "output of run \(work.runId)")
                break
            }
        }
        saveOffsets()
    }

    private func loadOffsets() -> [String: Int64] {
        guard let data = try? Data(contentsOf: offsetsFile) else { return [:] }
        return (try? JSONDecoder().decode([String: Int64].self, from: data)) ?? [:]
    }

    /// Remembers how much of each run's output the controller holds, so a restarted agent does not send it
    /// all again (if this is stale the controller's 409 corrects it).
    private func saveOffsets() {
        let offsets = book.shippedOffsets
        guard offsets != savedOffsets else { return }
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try encoder.encode(offsets).write(to: offsetsFile, options: .atomic)
            savedOffsets = offsets
        } catch {
            logger.warning("cannot save output offsets to \(offsetsFile.path): \(error)")
        }
    }
}
