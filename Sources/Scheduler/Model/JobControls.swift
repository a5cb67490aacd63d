/// What a job's owner decides besides its request: when it may start (a hold, a begin time), its place in
/// the queue (a nice value), and how its run is handled (a warning signal before the time limit, the grace
/// between SIGTERM and SIGKILL, where stderr goes and how output files are opened). Slurm's `--hold`,
/// `--begin`, `--nice`, `--signal`, `--kill-grace`… live here; the request (`ResourceRequest`) says what it
/// runs on.
public struct JobControls: Hashable, Sendable, Codable {
    /// Held: not offered to the scheduler until released. nil when not held.
    public var hold: JobHold?
    /// The earliest start, in seconds since the epoch; nil for "as soon as possible".
    public var begin: Int64?
    /// Subtracted from its priority under the `fairshare` policy. Users may raise it (0 or more); only admins
    /// may set it below 0.
    public var nice: Int
    /// A signal the job gets this long before its time limit (`--signal=[B:]SIG@SECONDS`); nil for none.
    public var warning: WarningSignal?
    /// Seconds between SIGTERM and SIGKILL when it is stopped; nil for the agent's default. At most the
    /// partition's `maxKillGrace`.
    public var killGrace: Int?
    /// A separate file for stderr (a template as `output`); nil sends stderr to the output file.
    public var error: String?
    /// Whether output files are truncated (the default) or appended to (`--open-mode=append`).
    public var openMode: OpenMode
    /// Where it was submitted from (`SLURM_SUBMIT_DIR`); nil when the submitter did not say.
    public var submitDir: String?
    /// Its tasks (`--ntasks-per-node`, …); nil for one task per node.
    public var tasks: TaskLayout?

    public init(
        hold: JobHold? = nil, begin: Int64? = nil, nice: Int = 0, warning: WarningSignal? = nil,
        killGrace: Int? = nil, error: String? = nil, openMode: OpenMode = .truncate, submitDir: String? = nil,
        tasks: TaskLayout? = nil
    ) {
        self.hold = hold
        self.begin = begin
        self.nice = nice
        self.warning = warning
        self.killGrace = killGrace
        self.error = error
        self.openMode = openMode
        self.submitDir = submitDir
        self.tasks = tasks
    }

    enum CodingKeys: String, CodingKey {
        case hold, begin, nice, warning, killGrace, error, openMode, submitDir, tasks
    }

    /// Absent fields are the defaults.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        hold = try c.decodeIfPresent(JobHold.self, forKey: .hold)
        begin = try c.decodeIfPresent(Int64.self, forKey: .begin)
        nice = try c.decodeIfPresent(Int.self, forKey: .nice) ?? 0
        warning = try c.decodeIfPresent(WarningSignal.self, forKey: .warning)
        killGrace = try c.decodeIfPresent(Int.self, forKey: .killGrace)
        error = try c.decodeIfPresent(String.self, forKey: .error)
        openMode = try c.decodeIfPresent(OpenMode.self, forKey: .openMode) ?? .truncate
        submitDir = try c.decodeIfPresent(String.self, forKey: .submitDir)
        tasks = try c.decodeIfPresent(TaskLayout.self, forKey: .tasks)
    }

    /// Whether every field is its default.
    public var isDefault: Bool { self == JobControls() }

    /// The bounds of `nice` (Slurm's).
    public static let niceRange = -2_147_483_645...2_147_483_645
    /// The longest kill grace any partition may allow, and a warning may come before the limit.
    public static let maxSeconds = 7 * 86_400
}

/// Who holds a job: its owner (who may release it) or an admin (only an admin may).
public enum JobHold: String, Hashable, Sendable, Codable {
    case user
    case admin
}

/// How an output file is opened.
public enum OpenMode: String, Hashable, Sendable, Codable, CaseIterable {
    case truncate
    case append
}

/// `--signal=[B:]SIG@SECONDS`: `signal` this long before the time limit; to the batch shell only (`B:`), or
/// to every process of the job.
public struct WarningSignal: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The signal's number.
    public var signal: Int32
    public var secondsBefore: Int
    /// Only the batch shell (the job's first process), not its children.
    public var batchOnly: Bool

    public init(signal: Int32, secondsBefore: Int, batchOnly: Bool = false) {
        self.signal = signal
        self.secondsBefore = secondsBefore
        self.batchOnly = batchOnly
    }

    /// Reads Slurm's form: `[B:]SIG[@SECONDS]` (SIG a name, with or without SIG, or a number; SECONDS
    /// defaults to 60, as Slurm's).
    public init(parsing text: String) throws(SignalNameError) {
        var t = Substring(text.trimmingCharacters(in: .whitespaces))
        var batch = false
        if t.hasPrefix("B:") || t.hasPrefix("b:") {
            batch = true
            t = t.dropFirst(2)
        } else if t.hasPrefix("R:") {
            throw SignalNameError("--signal's R: (reservation overlap) is not supported")
        }
        var seconds = 60
        if let at = t.firstIndex(of: "@") {
            let s = t[t.index(after: at)...]
            guard let n = Int(s), (0...JobControls.maxSeconds).contains(n) else {
                throw SignalNameError(
                    "expected seconds from 0 to \(JobControls.maxSeconds) after @, not '\(TerminalText.escaped(String(s)))'"
                )
            }
            seconds = n
            t = t[..<at]
        }
        self.init(signal: try SignalName.number(String(t)), secondsBefore: seconds, batchOnly: batch)
    }

    /// `B:USR1@120`.
    public var description: String {
        (batchOnly ? "B:" : "") + SignalName.name(signal) + "@\(secondsBefore)"
    }
}

/// A signal name or number that is not one a job may be sent.
public struct SignalNameError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

/// Signal names and numbers as Linux has them (`kill -l`), for the signals a user may send a job.
public enum SignalName {
    /// Name (without SIG) to number, Linux x86-64 and arm64.
    public static let numbers: [String: Int32] = [
        "HUP": 1, "INT": 2, "QUIT": 3, "ABRT": 6, "KILL": 9, "USR1": 10, "SEGV": 11, "USR2": 12, "PIPE": 13,
        "ALRM": 14, "TERM": 15, "CONT": 18, "STOP": 19, "TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23,
        "XCPU": 24, "XFSZ": 25, "VTALRM": 26, "PROF": 27, "WINCH": 28, "IO": 29, "PWR": 30,
    ]

    /// The number of `text`: a name (`USR1`, `SIGUSR1`, any case) or a number of one of the signals above.
    public static func number(_ text: String) throws(SignalNameError) -> Int32 {
        let t = text.trimmingCharacters(in: .whitespaces)
        if let n = Int32(t) {
            guard numbers.values.contains(n) else {
                throw SignalNameError("signal \(n) is not one a job may be sent (\(known))")
            }
            return n
        }
        var name = t.uppercased()
        if name.hasPrefix("SIG") { name.removeFirst(3) }
        guard let n = numbers[name] else {
            throw SignalNameError("unknown signal '\(TerminalText.escaped(t))' (\(known))")
        }
        return n
    }

    /// `USR1` for 10; the number as text for one not in the table.
    public static func name(_ number: Int32) -> String {
        numbers.first { $0.value == number }?.key ?? String(number)
    }

    static var known: String {
        numbers.sorted { $0.value < $1.value }.map(\.key).joined(separator: ", ")
    }
}
