import HummingbirdWebSocket
import NIOCore
import RasporedAPI

/// The agent's end of a step's stream, handed to the handler of the step's client, which relays.
struct AgentLeg: Sendable {
    let inbound: WebSocketInboundStream
    let outbound: WebSocketOutboundWriter
    /// Resumed once the relay is over: the agent's handler then returns and its connection closes, which
    /// ends the step on the agent if it still runs.
    let done: CheckedContinuation<Void, Never>
}

/// Relays a step's frames between its client and its agent, one message at a time each way: a message is
/// read from one side only once the previous one was written to the other, so a client that reads slowly
/// (a slow terminal) holds the agent's output back, and with it the step's writes, instead of the controller
/// buffering it. Each side may send only its own kinds of frames (`StepFrame`); others are dropped.
enum StepRelay {
    enum Outcome: Sendable {
        /// The step ended, as its agent reported.
        case exited(StepExit)
        /// The agent's connection ended without an exit.
        case agentGone
        /// The client's connection ended first.
        case clientGone
    }

    /// Relays until the step ends or a side goes away; `exited` is told how the step ended before its
    /// client is, so the step's record is final once the client knows.
    static func relay(
        client: (inbound: StepMessages, outbound: WebSocketOutboundWriter), agent: AgentLeg,
        exited: @escaping @Sendable (StepExit) async -> Void
    ) async -> Outcome {
        let outcome = await withTaskGroup(of: Outcome.self) { group in
            group.addTask {
                do {
                    for try await message in agent.inbound.messages(maxSize: StepFrame.maxMessage) {
                        guard case .binary(let buffer) = message,
                            let frame = try? StepFrame(decoding: buffer.readableBytesView)
                        else { continue }
                        switch frame {
                        case .stdout, .stderr:
                            try await client.outbound.write(.binary(buffer))
                        case .exit(let exit):
                            await exited(exit)
                            try? await client.outbound.write(.binary(buffer))
                            return .exited(exit)
                        default:
                            continue
                        }
                    }
                } catch {}
                return .agentGone
            }
            group.addTask {
                do {
                    while let message = try await client.inbound.next() {
                        guard case .binary(let buffer) = message,
                            let frame = try? StepFrame(decoding: buffer.readableBytesView)
                        else { continue }
                        switch frame {
                        case .stdin, .stdinEnd, .resize:
                            try await agent.outbound.write(.binary(buffer))
                        case .signal(let number) where StepFrame.forwardable.contains(number):
                            try await agent.outbound.write(.binary(buffer))
                        default:
                            continue
                        }
                    }
                } catch {}
                return .clientGone
            }
            let first = await group.next() ?? .agentGone
            // Closing both ends makes the other direction's read end too.
            try? await agent.outbound.close(.normalClosure, reason: nil)
            if case .exited = first {
            } else {
                let why = first == .clientGone ? nil : "the agent's connection ended before the step did"
                if let why {
                    try? await client.outbound.write(.binary(ByteBuffer(bytes: StepFrame.failed(why).encoded())))
                }
            }
            try? await client.outbound.close(.normalClosure, reason: nil)
            group.cancelAll()
            return first
        }
        agent.done.resume()
        return outcome
    }
}

extension StepRelay.Outcome: Equatable {}

/// The messages of a client's stream (at most `StepFrame.maxMessage` bytes each), read by one task at a
/// time: the start frame first, then the relay. A stream can be iterated only once.
final class StepMessages: @unchecked Sendable {
    private var iterator: WebSocketInboundMessageStream.AsyncIterator

    init(_ inbound: WebSocketInboundStream) {
        iterator = inbound.messages(maxSize: StepFrame.maxMessage).makeAsyncIterator()
    }

    func next() async throws -> WebSocketMessage? { try await iterator.next() }
}
