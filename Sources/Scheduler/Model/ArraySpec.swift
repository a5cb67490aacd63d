/// A job array as Slurm's `--array` writes it: task indices and an optional cap on how many tasks run at
/// once. `0-99`, `1,3,5-7`, `0-15:4` (0, 4, 8, 12), each optionally followed by `%N` (`0-99%8`).
///
/// Every task becomes a job of its own; the array's id is the id of its first task (docs/controller.md).
/// On the wire and in job files it is its text.
public struct ArraySpec: Hashable, Sendable, CustomStringConvertible {
    /// Task indices, ascending, without repeats; never empty.
    public private(set) var indices: [Int]
    /// At most this many tasks run at once (`%N`); nil for no cap.
    public var limit: Int?

    /// The most tasks one array may have (as Slurm's MaxArraySize bounds arrays): a larger one is refused.
    public static let maxTasks = 10_000
    /// The largest task index.
    public static let maxIndex = 4_000_000

    /// An array of `indices` (sorted and de-duplicated here).
    public init(indices: [Int], limit: Int? = nil) throws(ArraySpecError) {
        let unique = Array(Set(indices)).sorted()
        guard let first = unique.first, let last = unique.last else {
            throw ArraySpecError("an array needs at least one task")
        }
        guard first >= 0 else { throw ArraySpecError("task indices start at 0, not \(first)") }
        guard last <= Self.maxIndex else {
            throw ArraySpecError("task index \(last) is too large (at most \(Self.maxIndex))")
        }
        guard unique.count <= Self.maxTasks else { throw Self.tooMany(unique.count) }
        if let limit, limit < 1 { throw ArraySpecError("%\(limit): at least 1 task must be allowed to run at once") }
        self.indices = unique
        self.limit = limit
    }

    /// Reads Slurm's syntax: ranges and steps as `RangeList.ranges(_:steps:)` reads them, then `%N`.
    public init(parsing text: String) throws(ArraySpecError) {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard !t.isEmpty else {
            throw ArraySpecError("an empty array; give task indices such as 0-99, 1,3,5-7 or 0-15:4")
        }
        let parts = t.split(separator: "%", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { throw ArraySpecError("'\(t)': one '%' at most, before the cap (0-99%8)") }
        var limit: Int?
        if parts.count == 2 {
            guard let n = Int(parts[1].trimmingCharacters(in: .whitespaces)) else {
                throw ArraySpecError("'%\(parts[1])': the cap after '%' is a whole number of tasks (0-99%8)")
            }
            limit = n
        }
        guard !parts[0].trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ArraySpecError("'\(t)': give the task indices before the '%' (0-99%8)")
        }
        let pieces: [IntegerRange]
        do { pieces = try RangeList.ranges(String(parts[0]), steps: true) } catch {
            throw ArraySpecError("\(error) (an array is written 0-99, 1,3,5-7 or 0-15:4, with %N to cap running tasks)")
        }
        // Count before listing, so "0-999999999" is refused without being expanded.
        var total = 0
        for p in pieces {
            guard p.first >= 0 else { throw ArraySpecError("task indices start at 0, not \(p.first)") }
            guard p.last <= Self.maxIndex else {
                throw ArraySpecError("task index \(p.last) is too large (at most \(Self.maxIndex))")
            }
            total += p.count
            if total > 2 * Self.maxTasks { throw Self.tooMany(total) }
        }
        try self.init(indices: pieces.flatMap(\.values), limit: limit)
    }

    private static func tooMany(_ n: Int) -> ArraySpecError {
        ArraySpecError("an array of \(n) tasks is too large: at most \(maxTasks) tasks per array")
    }

    /// The number of tasks.
    public var count: Int { indices.count }

    /// The step between consecutive indices when they are evenly spaced (1 for one task), else nil.
    public var uniformStep: Int? {
        guard indices.count > 1 else { return 1 }
        let step = indices[1] - indices[0]
        for i in 1..<indices.count where indices[i] - indices[i - 1] != step { return nil }
        return step
    }

    /// The indices in Slurm's syntax, without the cap: "0-99", "0-12:4", "1,3,5-7".
    public var indicesText: String {
        guard let step = uniformStep, indices.count > 2 || step == 1 else { return RangeList.compact(indices) }
        let first = indices[0], last = indices[indices.count - 1]
        if first == last { return "\(first)" }
        return step == 1 ? "\(first)-\(last)" : "\(first)-\(last):\(step)"
    }

    /// Slurm's syntax, canonical: "0-99%8".
    public var description: String { indicesText + (limit.map { "%\($0)" } ?? "") }

    /// What task `index` of the array with id `arrayJobId` knows of its array.
    public func task(_ index: Int, arrayJobId: Int64) -> ArrayTask {
        var t = template(arrayJobId: arrayJobId)
        t.taskId = index
        return t
    }

    /// What every task knows of the array with id `arrayJobId`, in index order. The array's text and step are
    /// worked out once for all tasks (each is a walk of every index).
    public func tasks(arrayJobId: Int64) -> [ArrayTask] {
        let shared = template(arrayJobId: arrayJobId)
        return indices.map { index in
            var t = shared
            t.taskId = index
            return t
        }
    }

    private func template(arrayJobId: Int64) -> ArrayTask {
        let text = indicesText
        return ArrayTask(
            arrayJobId: arrayJobId, taskId: indices[0], minTask: indices[0], maxTask: indices[indices.count - 1],
            taskCount: indices.count, step: uniformStep ?? 1, limit: limit,
            indices: text.count <= ArrayTask.maxIndicesText ? text : nil)
    }
}

extension ArraySpec: TextCodable {}

/// Why a text is not an array: "an array of 100000 tasks is too large: at most 10000 tasks per array".
public struct ArraySpecError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// What one task of a job array knows of itself and its array (kept with the task's job, sent to its agent).
///
/// Slurm's environment follows from it: `SLURM_ARRAY_JOB_ID`, `SLURM_ARRAY_TASK_ID`, `…_MIN`, `…_MAX`,
/// `…_COUNT`, `…_STEP`.
public struct ArrayTask: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The array's id: the id of its first task's job.
    public var arrayJobId: Int64
    /// This task's index.
    public var taskId: Int
    /// The array's lowest and highest index, and how many tasks it has.
    public var minTask: Int
    public var maxTask: Int
    public var taskCount: Int
    /// The step between indices when they are evenly spaced, else 1 (Slurm's `SLURM_ARRAY_TASK_STEP`).
    public var step: Int
    /// At most this many of the array's tasks run at once; nil for no cap.
    public var limit: Int?
    /// The array's indices as written canonically ("0-99", "1,3,5-7"); nil when too long to keep with every
    /// task (an irregular list of thousands).
    public var indices: String?

    /// The longest `indices` text kept.
    public static let maxIndicesText = 256

    public init(
        arrayJobId: Int64, taskId: Int, minTask: Int, maxTask: Int, taskCount: Int, step: Int, limit: Int? = nil,
        indices: String? = nil
    ) {
        self.arrayJobId = arrayJobId
        self.taskId = taskId
        self.minTask = minTask
        self.maxTask = maxTask
        self.taskCount = taskCount
        self.step = step
        self.limit = limit
        self.indices = indices
    }

    /// How people name the task: "42_7".
    public var description: String { "\(arrayJobId)_\(taskId)" }

    /// The array's indices: "0-99", or "0-57 (12 tasks)" when its irregular list was too long to keep.
    public var taskList: String { indices ?? "\(minTask)-\(maxTask) (\(taskCount) tasks)" }

    /// The array in Slurm's syntax, its cap included: "0-99%8".
    public var arrayText: String { taskList + (limit.map { "%\($0)" } ?? "") }
}
