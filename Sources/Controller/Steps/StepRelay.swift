import HummingbirdWebSocket
import NIOCore
import RasporedAPI

/// One agent's end of a step's stream (one per node of the step), handed to the handler of the step's
/// client, which relays.
struct AgentLeg: Sendable {
    let node: String
    let inbound: WebSocketInboundStream
    let outbound: WebSocketOutboundWriter
    /// Resumed once the relay is over: the agent's handler then returns and its connection closes, which
    /// ends the step on the agent if it still runs.
    let done: CheckedContinuation<Void, Never>
}

/// Relays a step's frames between its client and its agents, one message at a time each way: a message is
/// read from one side only once the previous one was written to the other, so a client that reads slowly
/// (a slow terminal) holds the agents' output back, and with it the step's writes, instead of the
/// controller buffering it. Each side may send only its own kinds of frames (`StepFrame`); others are
/// dropped. Output from every node goes to the client as it comes; input goes to the step's first node
/// (as srun gives stdin to task 0); window sizes and signals go to every node.
enum StepRelay {
    enum Outcome: Sendable, Equatable {
        /// The step ended on every node (an agent whose connection ended without an exit counts as failed).
        case exited(StepExit)
        /// The client's connection ended first.
        case clientGone
    }

    private enum Event: Sendable {
        case exited(Int, StepExit)
        case clientGone
    }

    /// Relays until the step has ended on every node, or the client goes away; `exited` is told how the
    /// step ended before its client is, so the step's record is final once the client knows.
    static func relay(
        client: (inbound: StepMessages, outbound: WebSocketOutboundWriter), agents: [AgentLeg],
        exited: @escaping @Sendable (StepExit) async -> Void
    ) async -> Outcome {
        let outcome = await withTaskGroup(of: Event.self) { group in
            for (i, agent) in agents.enumerated() {
                group.addTask { .exited(i, await fromAgent(agent, to: client.outbound)) }
            }
            group.addTask {
                await fromClient(client.inbound, to: agents)
                return .clientGone
            }
            var exits: [Int: StepExit] = [:]
            var outcome = Outcome.clientGone
            while let event = await group.next() {
                guard case .exited(let i, let exit) = event else { break }
                exits[i] = exit
                if exits.count == agents.count {
                    let all = agents.indices.map { (agents[$0].node, exits[$0]!) }
                    outcome = .exited(Self.combined(all))
                    break
                }
            }
            // Closing every end makes the reads still going end too.
            for agent in agents { try? await agent.outbound.close(.normalClosure, reason: nil) }
            if case .exited(let exit) = outcome {
                await exited(exit)
                try? await client.outbound.write(.binary(ByteBuffer(bytes: StepFrame.exit(exit).encoded())))
            }
            try? await client.outbound.close(.normalClosure, reason: nil)
            group.cancelAll()
            return outcome
        }
        for agent in agents { agent.done.resume() }
        return outcome
    }

    /// The status of a step from its nodes' exits: the highest, with every node's reason.
    static func combined(_ exits: [(node: String, exit: StepExit)]) -> StepExit {
        guard exits.count > 1 else { return exits.first?.exit ?? StepExit(reason: "no node") }
        var worst = exits.max { $0.exit.status < $1.exit.status }!.exit
        let reasons = exits.compactMap { e in e.exit.reason.map { "\(e.node): \($0)" } }
        worst.reason = reasons.isEmpty ? nil : reasons.joined(separator: "; ")
        return worst
    }

    /// An agent's output to the client until its exit frame (returned), or until its connection ends.
    private static func fromAgent(_ agent: AgentLeg, to client: WebSocketOutboundWriter) async -> StepExit {
        do {
            for try await message in agent.inbound.messages(maxSize: StepFrame.maxMessage) {
                guard case .binary(let buffer) = message,
                    let frame = try? StepFrame(decoding: buffer.readableBytesView)
                else { continue }
                switch frame {
                case .stdout, .stderr: try await client.write(.binary(buffer))
                case .exit(let exit): return exit
                default: continue
                }
            }
        } catch {}
        return StepExit(reason: "the agent's connection ended before the step did")
    }

    /// The client's input, window sizes and signals to the agents, until its connection ends.
    private static func fromClient(_ client: StepMessages, to agents: [AgentLeg]) async {
        do {
            while let message = try await client.next() {
                guard case .binary(let buffer) = message,
                    let frame = try? StepFrame(decoding: buffer.readableBytesView)
                else { continue }
                switch frame {
                case .stdin, .stdinEnd:
                    try await agents[0].outbound.write(.binary(buffer))
                case .resize:
                    for agent in agents { try await agent.outbound.write(.binary(buffer)) }
                case .signal(let number) where StepFrame.forwardable.contains(number):
                    for agent in agents { try await agent.outbound.write(.binary(buffer)) }
                default:
                    continue
                }
            }
        } catch {}
    }
}

/// The messages of a client's stream (at most `StepFrame.maxMessage` bytes each), read by one task at a
/// time: the start frame first, then the relay. A stream can be iterated only once.
final class StepMessages: @unchecked Sendable {
    private var iterator: WebSocketInboundMessageStream.AsyncIterator

    init(_ inbound: WebSocketInboundStream) {
        iterator = inbound.messages(maxSize: StepFrame.maxMessage).makeAsyncIterator()
    }

    func next() async throws -> WebSocketMessage? { try await iterator.next() }
}
