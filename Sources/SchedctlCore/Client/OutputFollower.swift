import Foundation
import RasporedAPI
import Scheduler

/// One answer of `GET /v1/jobs/{id}/output?offset=N`: the bytes from N on and the `OutputHeaders`.
struct OutputChunk: Equatable, Sendable {
    var bytes: [UInt8]
    /// `X-Raspored-Output-Size`: bytes the controller holds (nil when the header is absent).
    var size: Int64?
    /// `X-Raspored-Output-Complete: true`: the job has ended and its output is whole.
    var complete: Bool
    /// `X-Raspored-Job-State`.
    var state: String?

    init(bytes: [UInt8], size: Int64? = nil, complete: Bool = false, state: String? = nil) {
        self.bytes = bytes
        self.size = size
        self.complete = complete
        self.state = state
    }

    init(_ reply: ControllerClient.Reply) {
        self.init(
            bytes: reply.body, size: reply.header(OutputHeaders.size).flatMap { Int64($0) },
            complete: reply.header(OutputHeaders.complete)?.lowercased() == "true",
            state: reply.header(OutputHeaders.state))
    }
}

/// Reads a job's output from an offset, once or (`follow`) until the controller says it is complete.
struct OutputFollower {
    var fetch: (Int64) async throws -> OutputChunk
    var write: ([UInt8]) -> Void
    /// Between polls that brought nothing new (≈0.5 s in schedctl).
    var pause: () async throws -> Void

    /// Returns the offset reached and the last chunk's headers.
    @discardableResult
    func run(follow: Bool, from start: Int64 = 0) async throws -> (offset: Int64, last: OutputChunk) {
        var offset = start
        while true {
            let chunk = try await fetch(offset)
            if !chunk.bytes.isEmpty { write(chunk.bytes) }
            offset += Int64(chunk.bytes.count)
            if !follow { return (offset, chunk) }
            // Complete, and nothing held beyond what was read: done.
            if chunk.complete && offset >= (chunk.size ?? offset) { return (offset, chunk) }
            if chunk.bytes.isEmpty { try await pause() }
        }
    }

    /// Against the controller, writing to stdout.
    static func live(_ client: ControllerClient, job: Int64) -> OutputFollower {
        live(client, job: .job(job))
    }

    /// Against the controller, writing to stdout: a job, or an array task (`42_7`).
    static func live(_ client: ControllerClient, job: JobReference) -> OutputFollower {
        OutputFollower(
            fetch: { offset in
                OutputChunk(try client.expectOK(try await client.send(.get, "/v1/jobs/\(job)/output?offset=\(offset)")))
            },
            write: { FileHandle.standardOutput.write(Data($0)) },
            pause: { try await Task.sleep(nanoseconds: 500_000_000) })
    }
}
