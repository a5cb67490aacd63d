import Foundation
import Glibc
import RasporedAPI

/// Seconds on CLOCK_BOOTTIME: monotonic, counting time the machine was suspended, and the same for every
/// process of one boot, so the agent and its watchdog read one lease from one file.
public enum BootClock {
    public static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_BOOTTIME, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// This boot's id (/proc/sys/kernel/random/boot_id): a lease written before a reboot means nothing after.
    public static func bootId() -> String { currentBootId }

    private static let currentBootId =
        ((try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8)) ?? "")
        .trimmingCharacters(in: .whitespacesAndNewlines)
}

/// The margins the controller gives an agent in its registration reply.
public struct LeaseTerms: Sendable, Hashable, Codable {
    /// How long the agent keeps its runs going with no answer from the controller.
    public var leaseSeconds: Double
    /// SIGTERM to SIGKILL for runs stopped because the lease lapsed.
    public var killGraceSeconds: Double

    public init(leaseSeconds: Double, killGraceSeconds: Double) {
        self.leaseSeconds = leaseSeconds
        self.killGraceSeconds = killGraceSeconds
    }

    /// The longest lease or grace an agent takes (about 115 days): beyond it a value is an error, not a
    /// margin, and it would overflow the clock arithmetic.
    public static let longest: Double = 1e7

    /// Whether the terms can be kept: a lease above 0 and a grace of 0 or more, both finite and at most
    /// `longest`. Terms from the wire or a file that are not are refused.
    public var areSane: Bool {
        leaseSeconds.isFinite && leaseSeconds > 0 && leaseSeconds <= Self.longest && killGraceSeconds.isFinite
            && killGraceSeconds >= 0 && killGraceSeconds <= Self.longest
    }
}

/// The agent's lease, and every decision about it: a plain value on the boot clock (seconds), so each rule
/// is tested on its own; `AgentSession` asks it, and keeps the lease file its watchdog reads.
///
/// Rules:
/// - The lease is renewed by an answer to a request, counted from when that request was **sent**: the
///   controller received it later, so the agent's lease always runs out no later than the controller's count
///   from the moment it last heard the agent.
/// - Only a registration reply and a heartbeat reply that does not say `reregister` renew it: a controller
///   that does not know the agent (restarted, or it declared the node down) has not vouched for its runs.
/// - Once `now` reaches `renewed + lease` the lease has lapsed (`check` says so once): the agent stops every
///   run and launches nothing until a registration **sent after** the lapse was noticed is answered.
/// - Without terms (a controller that does not fence, or none heard yet) it never lapses.
public struct Lease: Sendable, Hashable {
    public private(set) var terms: LeaseTerms?
    /// When the request behind the latest renewal was sent.
    public private(set) var renewedAt: Double?
    /// When the agent noticed the lapse; nil while the lease holds.
    public private(set) var noticedAt: Double?
    /// When it ran out, while lapsed: the deadline, which nothing moves until a registration ends the lapse.
    public var lapsedAt: Double? { noticedAt != nil ? deadline : nil }

    public init(terms: LeaseTerms? = nil, renewedAt: Double? = nil) {
        self.terms = terms
        self.renewedAt = renewedAt
    }

    /// When the lease runs out, if it can.
    public var deadline: Double? {
        guard let terms, let renewedAt else { return nil }
        return renewedAt + terms.leaseSeconds
    }

    public var isLapsed: Bool { noticedAt != nil }
    /// New runs may be started only while the lease holds.
    public var mayLaunch: Bool { !isLapsed }

    /// A heartbeat sent at `sentAt` was answered without `reregister`. Returns whether that renewed the
    /// lease (not while lapsed, and never backwards).
    @discardableResult
    public mutating func answered(sentAt: Double) -> Bool {
        guard !isLapsed else { return false }
        guard sentAt > (renewedAt ?? -.infinity) else { return false }
        renewedAt = sentAt
        return true
    }

    /// A registration sent at `sentAt` was answered, with the controller's terms (nil: it does not fence).
    /// Ends a lapse only when it was sent after the lapse was noticed (it then carried the stopped runs and
    /// heard nothing launched in between). Returns whether the lease holds now.
    @discardableResult
    public mutating func registered(sentAt: Double, terms: LeaseTerms?) -> Bool {
        if isLapsed {
            guard let noticedAt, sentAt >= noticedAt else { return false }
            self.noticedAt = nil
        }
        self.terms = terms
        if sentAt > (renewedAt ?? -.infinity) { renewedAt = sentAt }
        return true
    }

    /// Whether the lease lapses at `now`: true once, the first time it is found run out.
    public mutating func check(now: Double) -> Bool {
        guard !isLapsed, let deadline, now >= deadline else { return false }
        noticedAt = now
        return true
    }

    /// The words a stopped run is reported with.
    public var reason: String {
        let seconds = terms.map { SecondsText.of($0.leaseSeconds) } ?? "?"
        return "no word from the controller for \(seconds) s (lease)"
    }
}

/// `STATE/lease.json`: the lease as the agent holds it, rewritten atomically at each renewal, for the
/// watchdog (a separate process that stops the runs even when the agent cannot) and for the next agent on
/// this node (which holds the same lease until it has registered itself).
public struct LeaseFile: Sendable, Hashable, Codable {
    /// The boot the times belong to (`BootClock.bootId`).
    public var bootId: String
    /// Boot-clock seconds when the request behind the latest renewal was sent.
    public var renewedAt: Double
    public var terms: LeaseTerms
    /// The agent that holds the lease, and the watchdog it started (an older watchdog exits on seeing
    /// another's pid here).
    public var agentPid: Int32
    public var watchdogPid: Int32?

    public init(bootId: String, renewedAt: Double, terms: LeaseTerms, agentPid: Int32, watchdogPid: Int32?) {
        self.bootId = bootId
        self.renewedAt = renewedAt
        self.terms = terms
        self.agentPid = agentPid
        self.watchdogPid = watchdogPid
    }

    public var deadline: Double { renewedAt + terms.leaseSeconds }

    public static func url(in stateDirectory: URL) -> URL { stateDirectory.appendingPathComponent("lease.json") }

    /// The file's lease, nil when there is none, it cannot be read, or it is from another boot.
    public static func read(from url: URL) -> LeaseFile? {
        guard let data = try? Data(contentsOf: url), let file = try? JSONDecoder().decode(LeaseFile.self, from: data),
            file.bootId == BootClock.bootId(), file.terms.areSane, file.renewedAt.isFinite
        else { return nil }
        return file
    }

    /// Replaces the file atomically (temporary file, rename).
    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(self).write(to: url, options: .atomic)
    }
}
