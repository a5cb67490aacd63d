import Foundation
import RasporedAPI
import Scheduler

@testable import Agent

/// A NodeAllocationView (it has no public initializer: it is made by the engine and decoded by agents).
func allocation(
    node: String = "dgx03", gpus: [Int] = [], cores: [Int] = [], numa: [Int] = [], nics: [String] = []
) -> NodeAllocationView {
    let json: [String: Any] = [
        "node": node, "gpus": gpus, "cores": cores, "cpus": [Int](), "numa": numa, "memoryBytes": [String: UInt64](),
        "nics": nics, "scratchBytes": 0, "exclusive": false,
    ]
    let data = try! JSONSerialization.data(withJSONObject: json)
    return try! JSONDecoder().decode(NodeAllocationView.self, from: data)
}

func assignment(
    _ runId: String, _ script: String, workdir: String, allocation alloc: NodeAllocationView = allocation(),
    output: String? = nil, timeLimit: Int64 = 0
) -> RunAssignment {
    RunAssignment(
        runId: runId, jobId: RunId.parse(runId)?.job ?? 1, name: "job-\(runId)", user: "ana",
        command: ["/bin/sh", "-c", script], workdir: workdir, output: output, allocation: alloc,
        nodeList: [alloc.node], timeLimitSeconds: timeLimit, environment: ["FROM_SUBMITTER": "yes"])
}

/// A controller reduced to what the agent's tests observe: it records every call, holds output as the real
/// one does (append at the right offset, ignore what it has, 409 with its size otherwise), hands out
/// queued orders, and can be switched off.
actor ScriptedController: ControllerTransport {
    struct Beat {
        var runs: [RunStatus]
        var wait: Double
        /// The output the controller held when this heartbeat arrived.
        var outputHeld: [String: [UInt8]]
    }

    var registrations: [AgentRegistration] = []
    var beats: [Beat] = []
    var outputCalls: [(runId: String, offset: Int64, count: Int)] = []
    var output: [String: [UInt8]] = [:]
    var queued: [AgentOrders] = []
    var down = false
    var failedCalls = 0
    var heartbeatSeconds = 0.2
    /// Replies to output calls, used before the held-output logic (for refusals).
    var outputOverride: (@Sendable (String, Int64) -> OutputReply?)?
    var outputError: ControllerCallError?
    /// A slow link: each output call takes this long (heartbeats meanwhile go through).
    var outputDelay: Duration = .zero

    func setOutputDelay(_ delay: Duration) { outputDelay = delay }

    func queue(_ orders: AgentOrders) { queued.append(orders) }
    func setDown(_ value: Bool) { down = value }
    func hold(_ runId: String, _ bytes: [UInt8]) { output[runId] = bytes }
    func setOutputError(_ error: ControllerCallError?) { outputError = error }
    func setOutputOverride(_ f: (@Sendable (String, Int64) -> OutputReply?)?) { outputOverride = f }

    private func next() -> AgentOrders { queued.isEmpty ? AgentOrders() : queued.removeFirst() }

    private func checkUp() throws {
        if down {
            failedCalls += 1
            throw ControllerCallError.unavailable("scripted: down")
        }
    }

    func register(_ registration: AgentRegistration) async throws -> AgentRegistrationReply {
        try checkUp()
        registrations.append(registration)
        return AgentRegistrationReply(
            node: registration.node, accepted: true, differences: [], heartbeatSeconds: heartbeatSeconds,
            downAfterSeconds: 30, orders: next())
    }

    func heartbeat(_ heartbeat: AgentHeartbeat, wait: Double) async throws -> AgentOrders {
        try checkUp()
        beats.append(Beat(runs: heartbeat.runs, wait: wait, outputHeld: output))
        // A long poll answers as soon as there are orders, else after `wait`.
        let deadline = Date().addingTimeInterval(wait)
        while queued.isEmpty && Date() < deadline && !down {
            try await Task.sleep(for: .milliseconds(10))
        }
        try checkUp()
        return next()
    }

    func sendOutput(runId: String, offset: Int64, bytes: [UInt8]) async throws -> OutputReply {
        try checkUp()
        if outputDelay > .zero { try await Task.sleep(for: outputDelay) }
        outputCalls.append((runId, offset, bytes.count))
        if let outputError { throw outputError }
        if let reply = outputOverride?(runId, offset) { return reply }
        var held = output[runId] ?? []
        let size = Int64(held.count)
        if offset == size {
            held += bytes
            output[runId] = held
            return .accepted
        }
        if offset + Int64(bytes.count) <= size, Array(held[Int(offset)..<Int(offset) + bytes.count]) == bytes {
            return .accepted  // it has this chunk already
        }
        return .resume(at: size)
    }

    /// The latest status of a run, as the controller last heard it (heartbeat or registration).
    func lastStatus(_ runId: String) -> RunStatus? {
        beats.last { b in b.runs.contains { $0.runId == runId } }?.runs.first { $0.runId == runId }
    }

    /// The first heartbeat that reported the run ended.
    func firstFinalBeat(_ runId: String) -> Beat? {
        beats.first { b in b.runs.contains { $0.runId == runId && $0.phase.isFinal } }
    }

    func everReported(_ runId: String, _ phase: RunPhase) -> Bool {
        beats.contains { $0.runs.contains { $0.runId == runId && $0.phase == phase } }
            || registrations.contains { $0.runs.contains { $0.runId == runId && $0.phase == phase } }
    }
}
