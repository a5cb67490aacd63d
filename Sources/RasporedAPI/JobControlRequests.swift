import Foundation
import Scheduler

/// The body of `POST /v1/jobs/{id}/update` (`schedctl update`, Slurm's `scontrol update`): the fields to change,
/// each optional. `{"time": "2h", "nice": 100, "dependency": "afterok:41", "begin": "+1h"}`;
/// `"dependency": ""` (or `"none"`) removes the dependency, `"begin": "now"` the begin time.
public struct JobUpdateRequest: Hashable, Sendable, Encodable {
    public var time: TimeSpan?
    public var nice: Int?
    /// The new dependency; `.some(nil)` removes it.
    public var dependency: JobDependency??
    public var begin: ReservationTime?
    public var name: String?

    public init(
        time: TimeSpan? = nil, nice: Int? = nil, dependency: JobDependency?? = nil, begin: ReservationTime? = nil,
        name: String? = nil
    ) {
        self.time = time
        self.nice = nice
        self.dependency = dependency
        self.begin = begin
        self.name = name
    }

    public static let fields: Set<String> = ["time", "nice", "dependency", "begin", "name"]

    /// Whether it changes nothing.
    public var isEmpty: Bool { time == nil && nice == nil && dependency == nil && begin == nil && name == nil }

    /// Reads a body; errors name the field and line.
    public init(config n: ConfigNode) throws(ConfigError) {
        try n.onlyKeys(Self.fields)
        if let t = try n.optional("time") {
            let span = try t.timeSpan(atMost: .days(36_500))
            guard span.seconds > 0 else { throw t.error("a time limit must be longer than 0") }
            time = span
        }
        if let v = try n.optional("nice") {
            nice = try v.int(in: JobControls.niceRange)
        }
        if let d = try n.optional("dependency") {
            let text = try d.string().trimmingCharacters(in: .whitespaces)
            if text.isEmpty || text.lowercased() == "none" {
                dependency = .some(nil)
            } else {
                do throws(JobDependencyError) { dependency = .some(try JobDependency(parsing: text)) } catch {
                    throw d.error(error.description)
                }
            }
        }
        begin = try n.optional("begin").map { (b) throws(ConfigError) in
            try ReservationTime.read(b, furthest: ReservationRequest.longest)
        }
        name = try n.optional("name")?.label(maxLength: SubmitRequest.maxNameLength)
        if isEmpty { throw n.error("nothing to change: give time, nice, dependency, begin or name") }
    }

    enum Keys: String, CodingKey { case time, nice, dependency, begin, name }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encodeIfPresent(time.map { "\($0.seconds)s" }, forKey: .time)
        try c.encodeIfPresent(nice, forKey: .nice)
        if let dependency { try c.encode(dependency?.description ?? "", forKey: .dependency) }
        try c.encodeIfPresent(begin?.description, forKey: .begin)
        try c.encodeIfPresent(name, forKey: .name)
    }
}

/// The body of `POST /v1/jobs/{id}/signal` (`schedctl cancel --signal`, Slurm's `scancel --signal`): a
/// signal for the job's running processes, which keep running unless it ends them.
/// `{"signal": "USR1"}`, `{"signal": "TERM", "batchOnly": true}`.
public struct SignalRequest: Hashable, Sendable, Codable {
    /// The signal's number (the body may name it: `USR1`, `SIGUSR1`, `10`).
    public var signal: Int32
    /// Only the job's first process (the batch shell), not its children (`scancel --batch`).
    public var batchOnly: Bool

    public init(signal: Int32, batchOnly: Bool = false) {
        self.signal = signal
        self.batchOnly = batchOnly
    }

    public init(config n: ConfigNode) throws(ConfigError) {
        try n.onlyKeys(["signal", "batchOnly"])
        let s = try n.required("signal")
        let text = try s.textOrNumber("a signal: USR1, SIGUSR1 or 10")
        do throws(SignalNameError) { signal = try SignalName.number(text) } catch { throw s.error(error.description) }
        batchOnly = try n.optional("batchOnly")?.bool() ?? false
    }

    enum Keys: String, CodingKey { case signal, batchOnly }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(SignalName.name(signal), forKey: .signal)
        if batchOnly { try c.encode(true, forKey: .batchOnly) }
    }
}
