import Foundation
import RasporedAPI
import Scheduler

/// What happened to an output chunk an agent shipped.
public enum OutputAppend: Sendable, Equatable {
    /// Appended (or already held); the run's output is now this long.
    case held(Int64)
    /// The chunk starts past what is held: resume from this size.
    case gap(Int64)
}

/// A piece of a job's output, as `GET /v1/jobs/{id}/output` answers.
public struct OutputSlice: Sendable {
    public var bytes: Data
    /// Bytes held in all (the offset to ask for next).
    public var size: Int64
    /// The job has ended, so its output is complete.
    public var complete: Bool
    public var state: JobState
}

extension ControllerCore {
    /// Appends a chunk of a run's output that the node's agent shipped. Outside the actor: files only.
    public nonisolated func appendOutput(
        node: String, runId: String, offset: Int64, bytes: Data, by p: Principal
    ) throws(ControllerError) -> OutputAppend {
        guard p.role == .admin || (p.role == .agent && p.node == node) else {
            throw ControllerError(.forbidden, "only \(node)'s agent may ship its output")
        }
        guard let (id, _) = RunId.parse(runId) else {
            throw ControllerError(.badRequest, "'\(runId)' is not a run id (JOB or JOB.ATTEMPT)")
        }
        guard let job = try stored({ () throws(StateStoreError) in try store.job(id, environment: false) }) else {
            throw ControllerError(.notFound, "no job \(id)")
        }
        guard job.allocation?.nodes.contains(where: { $0.node == node }) ?? false || job.state != .running else {
            throw ControllerError(.conflict, "job \(id) does not run on \(node)")
        }
        guard let path = outputPath(job: id, runId: runId, node: node) else {
            throw ControllerError(.notFound, "this controller keeps no output (no output directory)")
        }
        do {
            let fm = FileManager.default
            try fm.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            if !fm.fileExists(atPath: path) { _ = fm.createFile(atPath: path, contents: nil) }
            let h = try FileHandle(forUpdating: URL(fileURLWithPath: path))
            defer { try? h.close() }
            let size = Int64(try h.seekToEnd())
            if offset > size { return .gap(size) }
            let skip = Int(size - offset)
            guard skip < bytes.count else { return .held(size) }
            try h.write(contentsOf: bytes.dropFirst(skip))
            return .held(size + Int64(bytes.count - skip))
        } catch {
            throw ControllerError(.internalError, "cannot write output of run \(runId): \(error)")
        }
    }

    /// A job's output from `offset`: its latest run's that has any, on `node` (default its first node).
    public nonisolated func output(
        job id: Int64, offset: Int64, node: String?, limit: Int = 1 << 20, by p: Principal
    ) throws(ControllerError) -> OutputSlice {
        guard let job = try stored({ () throws(StateStoreError) in try store.job(id, environment: false) }) else {
            throw ControllerError(.notFound, "no job \(id)")
        }
        switch p.role {
        case .admin: break
        case .user where job.user == p.user: break
        case .user: throw ControllerError(.forbidden, "job \(id) belongs to \(job.user)")
        case .agent: throw ControllerError(.forbidden, "agent tokens cannot read jobs' output")
        }
        let complete = job.state != .pending && job.state != .running
        guard offset >= 0 else { throw ControllerError(.badRequest, "offset must be 0 or more, not \(offset)") }
        var path: String?
        for attempt in stride(from: job.requeueCount, through: 0, by: -1) {
            let runId = RunId.make(job: id, attempt: attempt)
            let dir = outputPath(job: id, runId: runId, node: "x").map { ($0 as NSString).deletingLastPathComponent }
            guard let dir, let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { continue }
            let prefix = "\(runId)@"
            let mine = names.filter { $0.hasPrefix(prefix) }.sorted()
            let wanted = node.map { "\(runId)@\($0).out" } ?? job.allocation.map { "\(runId)@\($0.nodes[0].node).out" }
            if let w = wanted, mine.contains(w) {
                path = dir + "/" + w
            } else if node == nil, let first = mine.first {
                path = dir + "/" + first
            }
            if path != nil { break }
        }
        if path == nil, let node, !(job.allocation?.nodes.contains { $0.node == node } ?? false) {
            let nodes = job.allocation.map { $0.nodes.map(\.node).joined(separator: ", ") } ?? ""
            throw ControllerError(
                .notFound,
                "job \(id) has no output from node '\(TerminalText.escaped(node))' "
                    + (nodes.isEmpty ? "(it has not run yet)" : "(its nodes: \(nodes))"))
        }
        guard let path, let h = FileHandle(forReadingAtPath: path) else {
            return OutputSlice(bytes: Data(), size: 0, complete: complete, state: job.state)
        }
        defer { try? h.close() }
        do {
            let size = Int64(try h.seekToEnd())
            guard offset < size else {
                return OutputSlice(bytes: Data(), size: size, complete: complete, state: job.state)
            }
            try h.seek(toOffset: UInt64(offset))
            let data = try h.read(upToCount: limit) ?? Data()
            return OutputSlice(
                bytes: data, size: size, complete: complete && offset + Int64(data.count) >= size, state: job.state)
        } catch {
            throw ControllerError(.internalError, "cannot read output of job \(id): \(error)")
        }
    }

    nonisolated func outputPath(job: Int64, runId: String, node: String) -> String? {
        settings.outputDirectory.map { "\($0)/\(job)/\(runId)@\(node).out" }
    }
}
