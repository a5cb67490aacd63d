import Foundation
import RasporedAPI

/// What the agent knows about the controller's runs on this node, and every decision about them: which
/// orders to act on, what to report, which output is still to ship. A plain value with no I/O, so each rule
/// is tested on its own; `AgentSession` carries the decisions out.
///
/// Rules:
/// - A launch of a run the book already knows (or whose end was acknowledged) is ignored; a new one is
///   recorded `starting` at once, so the very next heartbeat lists it.
/// - A stop is passed on once, for a run that has not ended; stops of unknown or ended runs are ignored.
/// - An ended run is reported `running` until all of its output has been shipped, then with its final
///   phase, so when the controller sees the end the output is complete.
/// - An acknowledged run is forgotten, once its final phase has been reported (an acknowledgement of a
///   run still running is ignored).
/// - When the lease lapses (`fence`), runs not ended are to be stopped, and they and runs that ended since
///   the lapse other than by success or a time limit are reported `stopped` with the lease's words.
public struct RunBook: Sendable {
    struct Entry: Sendable, Hashable {
        /// What is reported while the run has not ended (`starting` or `running`).
        var status: RunStatus
        /// The final status, reported once the output is complete.
        var ended: RunStatus?
        var outputPath: String?
        /// The uid the run's output file must belong to (the uid the run ran as).
        var outputOwner: UInt32?
        var outputShipped: Int64 = 0
        var outputComplete = false
        var stop: StopOrder?
        /// Why the agent stops this run itself (its lease lapsed): an end other than success or a time limit
        /// is reported `stopped` with these words.
        var fenced: String?

        var finalReported: Bool { ended != nil && outputComplete }
    }

    /// What the session must do after `apply`.
    public struct Decisions: Sendable, Hashable {
        /// New runs to start.
        public var launch: [RunAssignment] = []
        /// Runs to stop (each passed on once).
        public var stop: [StopOrder] = []
        /// Acknowledged runs, dropped from the book: the launcher may delete their records.
        public var forget: [String] = []
        /// Register again.
        public var reregister = false
    }

    /// Output still to be sent for one run.
    public struct OutputWork: Sendable, Hashable {
        public var runId: String
        public var path: String
        /// Bytes the controller holds already: the next chunk starts here.
        public var offset: Int64
        /// The run has ended: send everything up to the end of the file, then report the end.
        public var final: Bool
        /// The uid the file must belong to for it to be shipped (see `OutputShipper.ship`).
        public var owner: UInt32?
    }

    private(set) var entries: [String: Entry] = [:]
    /// Runs whose end the controller acknowledged: never launched or reported again.
    public private(set) var acknowledged: Set<String> = []

    public init() {}

    // MARK: - Orders

    public mutating func apply(_ orders: AgentOrders, now: Date = Date()) -> Decisions {
        var decisions = Decisions()
        for assignment in orders.launch where entries[assignment.runId] == nil {
            guard !acknowledged.contains(assignment.runId) else { continue }
            entries[assignment.runId] = Entry(
                status: RunStatus(runId: assignment.runId, phase: .starting, outputShipped: 0))
            decisions.launch.append(assignment)
        }
        for order in orders.stop {
            guard var entry = entries[order.runId], entry.ended == nil, entry.stop == nil else { continue }
            entry.stop = order
            entries[order.runId] = entry
            decisions.stop.append(order)
        }
        for runId in orders.acknowledged {
            if let entry = entries[runId], !entry.finalReported { continue }
            entries[runId] = nil
            if acknowledged.insert(runId).inserted { decisions.forget.append(runId) }
        }
        decisions.reregister = orders.reregister
        return decisions
    }

    // MARK: - What happened to runs

    /// Takes in the launcher's record of a run (started, ended, or found again after a restart). A run
    /// never goes back from ended to running (a launch's answer can arrive after the end's event).
    public mutating func observe(_ record: JobRecord) {
        let runId = record.jobId
        guard !acknowledged.contains(runId) else { return }
        var entry = entries[runId] ?? Entry(status: RunStatus(runId: runId, phase: .running, outputShipped: 0))
        guard entry.ended == nil else { return }
        var status = RunStatus(
            runId: runId, phase: Self.phase(of: record), pid: record.pid, exitCode: record.exitCode,
            signal: record.signal, reason: record.reason, startedAt: record.startedAt.timeIntervalSince1970,
            endedAt: record.endedAt?.timeIntervalSince1970, cpuSeconds: record.usage?.cpuSeconds,
            peakMemoryBytes: record.usage?.peakMemoryBytes)
        entry.outputPath = record.stdoutPath
        entry.outputOwner = record.uid
        if status.phase.isFinal {
            entry.ended = entry.fenced.map { Self.fenceable(status.phase) ? Self.fenced(status, $0) : status } ?? status
            status.phase = .running
            status.exitCode = nil
            status.signal = nil
            status.reason = nil
            status.endedAt = nil
            status.cpuSeconds = nil
            status.peakMemoryBytes = nil
        }
        entry.status = status
        entries[runId] = entry
    }

    /// The lease lapsed at `since`: every run not ended yet is to be stopped (returned, by run id), and it and
    /// every run that ended since then other than by success or its time limit is reported `stopped` with
    /// `reason` (the agent, or its watchdog while the agent could not, ended it for want of a lease).
    public mutating func fence(reason: String, since: Date) -> [String] {
        var stop: [String] = []
        for runId in entries.keys.sorted() {
            var entry = entries[runId]!
            if let ended = entry.ended {
                guard Self.fenceable(ended.phase), (ended.endedAt ?? .infinity) >= since.timeIntervalSince1970 else {
                    continue
                }
                entry.ended = Self.fenced(ended, reason)
            } else {
                stop.append(runId)
            }
            entry.fenced = reason
            entries[runId] = entry
        }
        return stop
    }

    /// Why the run is being stopped for want of a lease, if it is.
    public func fenceReason(for runId: String) -> String? { entries[runId]?.fenced }

    private static func fenceable(_ phase: RunPhase) -> Bool { phase == .failed || phase == .stopped || phase == .lost }

    private static func fenced(_ status: RunStatus, _ reason: String) -> RunStatus {
        var status = status
        status.phase = .stopped
        status.reason = reason
        return status
    }

    /// A run that could not be started at all (its allocation does not fit, the output file cannot be
    /// opened, the shim cannot be spawned): ended, with no output to ship.
    public mutating func launchFailed(_ runId: String, reason: String, now: Date = Date()) {
        guard var entry = entries[runId], entry.ended == nil else { return }
        entry.ended = RunStatus(runId: runId, phase: .launchFailed, reason: reason, endedAt: now.timeIntervalSince1970)
        entry.outputComplete = true
        entries[runId] = entry
    }

    /// Records that the controller holds `offset` bytes of the run's output; with `complete`, that this is
    /// all of it (only meaningful once the run has ended). Returns true when this made the run's end
    /// reportable.
    @discardableResult
    public mutating func shipped(_ runId: String, upTo offset: Int64, complete: Bool = false) -> Bool {
        guard var entry = entries[runId] else { return false }
        entry.outputShipped = offset
        let becameFinal = complete && entry.ended != nil && !entry.outputComplete
        if becameFinal { entry.outputComplete = true }
        entries[runId] = entry
        return becameFinal
    }

    /// Takes the latest sample of a run still running, which the next heartbeats report.
    public mutating func sampled(_ runId: String, _ usage: RunUsage) {
        guard var entry = entries[runId], entry.ended == nil, !acknowledged.contains(runId) else { return }
        entry.status.usage = usage
        entries[runId] = entry
    }

    // MARK: - Reading

    /// Every run not yet acknowledged, as the controller should hear of it, by run id.
    public var statuses: [RunStatus] {
        entries.keys.sorted().map { runId in
            let entry = entries[runId]!
            var status = entry.finalReported ? entry.ended! : entry.status
            status.outputShipped = entry.outputShipped
            return status
        }
    }

    /// Runs with output still to send.
    public var pendingOutput: [OutputWork] {
        entries.keys.sorted().compactMap { runId in
            let entry = entries[runId]!
            guard let path = entry.outputPath, !entry.outputComplete else { return nil }
            return OutputWork(
                runId: runId, path: path, offset: entry.outputShipped, final: entry.ended != nil,
                owner: entry.outputOwner)
        }
    }

    /// Offsets shipped so far, for the state directory.
    public var shippedOffsets: [String: Int64] { entries.mapValues(\.outputShipped) }

    public func knows(_ runId: String) -> Bool { entries[runId] != nil }

    /// The stop order given for a run, if any (a run stopped while it was still being launched is cancelled
    /// as soon as the launch returns).
    public func stopOrder(for runId: String) -> StopOrder? { entries[runId]?.stop }

    /// How a launcher state reads on the wire.
    public static func phase(of record: JobRecord) -> RunPhase {
        switch record.state {
        case .running: .running
        case .completed: .completed
        case .failed: record.execFailed == true ? .launchFailed : .failed
        case .cancelled: .stopped
        case .timedOut: .timedOut
        case .lost: .lost
        }
    }
}
