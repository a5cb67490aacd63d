/// A job as people name it: its id (`42`), or a task of a job array (`42_7`: task 7 of array 42), as Slurm
/// writes them. What a plain id means for an array's id (the whole array, or its first task) is up to the
/// command that takes it (docs/schedctl.md).
public enum JobReference: Hashable, Sendable, CustomStringConvertible {
    /// A job by its id.
    case job(Int64)
    /// Task `index` of the array whose id is `array`.
    case task(array: Int64, index: Int)

    /// Reads "42" or "42_7".
    public init(parsing text: String) throws(JobReferenceError) {
        let t = text.trimmingCharacters(in: .whitespaces)
        let parts = t.split(separator: "_", omittingEmptySubsequences: false)
        switch parts.count {
        case 1:
            guard let id = Int64(parts[0]), id > 0, parts[0].allSatisfy(\.isNumber) else { throw JobReferenceError(t) }
            self = .job(id)
        case 2:
            guard let id = Int64(parts[0]), id > 0, parts[0].allSatisfy(\.isNumber), let index = Int(parts[1]),
                index >= 0, parts[1].allSatisfy(\.isNumber)
            else { throw JobReferenceError(t) }
            self = .task(array: id, index: index)
        default:
            throw JobReferenceError(t)
        }
    }

    /// "42" or "42_7".
    public var description: String {
        switch self {
        case let .job(id): "\(id)"
        case let .task(array, index): "\(array)_\(index)"
        }
    }
}

extension JobReference: TextCodable {}

/// A text that names no job.
public struct JobReferenceError: Error, Hashable, Sendable, CustomStringConvertible {
    public var text: String
    public init(_ text: String) { self.text = text }
    public var description: String {
        "a job is named by its id (42) or, for a task of a job array, array id and index (42_7), not '\(text)'"
    }
}
