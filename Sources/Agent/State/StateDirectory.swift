import Foundation
import Glibc

/// The agent's state directory: `jobs/<job id>.json`, one file per job, each replaced atomically
/// (written to a temporary file, flushed, renamed), so a crash leaves either the old or the new record.
public struct StateDirectory: Sendable {
    public let root: URL

    /// Opens (and creates when missing) the directory at `path`, readable by its owner only (0700): the
    /// records name every job's files and processes, and the agent's token may sit beside them. An existing
    /// directory of the agent's own with a wider mode is narrowed; one owned by someone else is refused.
    public init(path: String) throws {
        root = URL(fileURLWithPath: path, isDirectory: true)
        try FileManager.default.createDirectory(
            at: jobsDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for dir in [root.path, jobsDirectory.path] { try Self.restrict(dir, mode: 0o700) }
    }

    /// Makes `path` (the agent's own) mode `mode`; throws when someone else owns it.
    public static func restrict(_ path: String, mode: mode_t) throws {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw StateDirectoryError("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        guard st.st_uid == geteuid() else {
            throw StateDirectoryError("\(path) belongs to uid \(st.st_uid), not to the agent (uid \(geteuid()))")
        }
        if st.st_mode & 0o777 != mode, chmod(path, mode) != 0 {
            throw StateDirectoryError(
                "cannot chmod \(String(mode, radix: 8)) \(path): \(String(cString: strerror(errno)))")
        }
    }

    private var jobsDirectory: URL { root.appendingPathComponent("jobs", isDirectory: true) }

    /// Job ids become file names: letters, digits, '.', '_' and '-' only, not starting with '.'.
    public static func isValidJobId(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 128 && !id.hasPrefix(".")
            && id.unicodeScalars.allSatisfy {
                CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)
            }
            && id.allSatisfy(\.isASCII)
    }

    /// Writes `record` atomically (temporary file, rename), without fsync: the record protects against the
    /// agent dying, not the node. A crash of the agent leaves the rename in the page cache, which the
    /// restarted agent reads; a crash of the node kills the jobs the records describe as well. Skipping the
    /// two fsyncs per save takes four disk flushes off every job's start and end.
    public func save(_ record: JobRecord) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(record)
        let final = jobsDirectory.appendingPathComponent("\(record.jobId).json")
        let temp = jobsDirectory.appendingPathComponent(".\(record.jobId).json.tmp")
        guard FileManager.default.createFile(atPath: temp.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temp.path])
        }
        let handle = try FileHandle(forWritingTo: temp)
        try handle.write(contentsOf: data)
        try handle.close()
        guard rename(temp.path, final.path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: final.path])
        }
    }

    /// Removes a job's record; a record already gone is not an error.
    public func remove(_ jobId: String) throws {
        let file = jobsDirectory.appendingPathComponent("\(jobId).json")
        guard unlink(file.path) == 0 || errno == ENOENT else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: file.path])
        }
    }

    /// Where `schedagent exec-bound` writes why it could not bind or exec the job (hidden: not a record).
    public func execFailureFile(_ jobId: String) -> String {
        jobsDirectory.appendingPathComponent(".\(jobId).exec-failure").path
    }

    /// Every job record in the directory, by job id. A record that cannot be read or decoded does not stop
    /// the agent: it is renamed to `<file>.corrupt`, kept for people to look at, and reported on stderr
    /// with its file name.
    public func loadAll() throws -> [JobRecord] {
        let (records, unreadable) = try Self.records(in: root)
        for (file, error) in unreadable {
            let moved = rename(file.path, file.path + ".corrupt") == 0
            let message =
                "schedagent: job record \(file.path) is unreadable (\(error))"
                + (moved
                    ? "; moved to \(file.lastPathComponent).corrupt"
                    : "; could not move it aside: \(String(cString: strerror(errno)))")
            FileHandle.standardError.write(Data((message + "\n").utf8))
        }
        return records
    }

    /// The records of the state directory at `root`, read only (the fencing watchdog reads them beside a
    /// running agent), in file-name order, and the files that do not decode.
    public static func records(in root: URL) throws -> (records: [JobRecord], unreadable: [(URL, any Error)]) {
        let jobs = root.appendingPathComponent("jobs", isDirectory: true)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let files = try FileManager.default.contentsOfDirectory(atPath: jobs.path)
            .filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted()
        var records: [JobRecord] = []
        var unreadable: [(URL, any Error)] = []
        for name in files {
            let file = jobs.appendingPathComponent(name)
            do { records.append(try decoder.decode(JobRecord.self, from: Data(contentsOf: file))) } catch {
                unreadable.append((file, error))
            }
        }
        return (records, unreadable)
    }
}

/// The state directory or a file the agent keeps private could not be made so.
public struct StateDirectoryError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
