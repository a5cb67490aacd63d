/// When a job may start relative to others, as Slurm's `--dependency` writes it:
///
/// - `after:ID` — once ID has started (or was cancelled before it could);
/// - `afterany:ID` — once ID has ended, however;
/// - `afterok:ID` — once ID has completed successfully (exit 0);
/// - `afternotok:ID` — once ID has ended in failure (non-zero exit, signal, time limit, cancel, node loss);
/// - `singleton` — once no other job of the same name and user is running, and none submitted earlier is
///   pending.
///
/// `afterok:12:13` names several jobs; `,` joins conditions that must all hold, `?` conditions of which any
/// one is enough (the two do not mix). An id may be a job array's id (all of its tasks) or one task
/// (`42_7`). A bare id list (`12:13`) means `afterany`, as in Slurm.
public struct JobDependency: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The kinds of condition.
    public enum Kind: String, Hashable, Sendable, Codable, CaseIterable {
        case after, afterany, afterok, afternotok, singleton
    }

    /// What a condition's job id was found to name when the job was submitted.
    public enum Target: Hashable, Sendable, Codable {
        /// One job (or one array task): its id.
        case job(Int64)
        /// Every task of the array with this id.
        case array(Int64)
    }

    /// One kind and one job (`afterok:12:13` is two conditions); `singleton` has no job.
    public struct Condition: Hashable, Sendable, Codable, CustomStringConvertible {
        public var kind: Kind
        /// The job as written; nil for `singleton`.
        public var job: JobReference?
        /// What `job` names, once the controller has looked it up; nil before (and for `singleton`).
        public var target: Target?

        public init(kind: Kind, job: JobReference?, target: Target? = nil) {
            self.kind = kind
            self.job = job
            self.target = target
        }

        /// "afterok:12", "singleton".
        public var description: String { job.map { "\(kind.rawValue):\($0)" } ?? kind.rawValue }
    }

    /// In the order written; never empty.
    public var conditions: [Condition]
    /// Whether one condition is enough (`?`) rather than all (`,`).
    public var anyOf: Bool

    /// The most jobs one dependency may name.
    public static let maxConditions = 1_000

    public init(conditions: [Condition], anyOf: Bool = false) {
        self.conditions = conditions
        self.anyOf = anyOf
    }

    /// Reads Slurm's syntax; errors say what is wrong with which part.
    public init(parsing text: String) throws(JobDependencyError) {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard !t.isEmpty else {
            throw JobDependencyError("an empty dependency; give one such as afterok:12 or afterany:12:13,after:14")
        }
        if t.contains(",") && t.contains("?") {
            throw JobDependencyError(
                "'\(t)': join conditions with ',' (all must hold) or '?' (any one is enough), not both")
        }
        anyOf = t.contains("?")
        conditions = []
        for clause in t.split(separator: anyOf ? "?" : ",", omittingEmptySubsequences: false) {
            let c = clause.trimmingCharacters(in: .whitespaces)
            guard !c.isEmpty else { throw JobDependencyError("'\(t)': an empty condition between separators") }
            let parts = c.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            let head = parts[0].lowercased()
            var kind: Kind
            var ids: ArraySlice<String>
            if let k = Kind(rawValue: head) {
                kind = k
                ids = parts.dropFirst()
                if k == .singleton {
                    guard ids.isEmpty else { throw JobDependencyError("'\(c)': singleton names no job") }
                    conditions.append(Condition(kind: .singleton, job: nil))
                    continue
                }
                guard !ids.isEmpty else {
                    throw JobDependencyError("'\(c)': \(head) needs one or more job ids (\(head):12 or \(head):12:13)")
                }
            } else if (try? JobReference(parsing: parts[0])) != nil {
                kind = .afterany
                ids = parts[...]
            } else if ["aftercorr", "afterburstbuffer", "expand"].contains(head) {
                throw JobDependencyError("'\(c)': \(head) dependencies are not supported (\(Self.kindsText))")
            } else {
                throw JobDependencyError("'\(c)': unknown dependency type '\(parts[0])' (\(Self.kindsText))")
            }
            for id in ids {
                if id.contains("+") {
                    throw JobDependencyError("'\(c)': a delay after a job (\(id)) is not supported")
                }
                do { conditions.append(Condition(kind: kind, job: try JobReference(parsing: id))) } catch {
                    throw JobDependencyError("'\(c)': \(error)")
                }
            }
        }
        guard conditions.count <= Self.maxConditions else {
            throw JobDependencyError(
                "a dependency may name at most \(Self.maxConditions) jobs, not \(conditions.count)")
        }
    }

    private static let kindsText = "types: after, afterany, afterok, afternotok, singleton"

    /// Slurm's syntax, canonical: consecutive conditions of one kind share it ("afterok:12:13,afterany:14").
    public var description: String {
        var groups: [(Kind, [String])] = []
        for c in conditions {
            if let job = c.job, let last = groups.last, last.0 == c.kind, c.kind != .singleton {
                groups[groups.count - 1].1.append(job.description)
            } else {
                groups.append((c.kind, c.job.map { [$0.description] } ?? []))
            }
        }
        return groups.map { ([$0.0.rawValue] + $0.1).joined(separator: ":") }.joined(separator: anyOf ? "?" : ",")
    }
}

/// Why a text is not a dependency: "'afterfoo:12': unknown dependency type 'afterfoo' (…)".
public struct JobDependencyError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
