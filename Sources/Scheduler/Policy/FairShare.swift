import Foundation

/// Each account's recorded GPU usage, decaying with a half-life, and the fair-share factor it earns.
///
/// Usage is GPU-seconds; a GPU-second used `h` (the half-life) ago counts half. Running jobs accrue usage
/// continuously: `advance(to:gpusInUse:)` integrates each account's GPUs in use since the last call, exactly
/// (∫ g·2^(−(t−s)/h) ds), so the result does not depend on how often it is called.
///
/// The factor follows Slurm's classic formula, F = 2^(−U/S): U is the account's part of all decayed usage
/// and S its normalised share. An account that used nothing has F = 1, one that used exactly its share
/// F = ½. Shares are normalised among siblings and multiplied down the tree (an institute's projects split
/// the institute's share); an account the cluster file does not name has share 1 at the top level, so a
/// trace's accounts compete as equals.
///
/// Accounts are numbered in the order they become known (`id(of:)`), and every sum runs in that order,
/// so results are the same bit for bit on every run.
public struct FairShare: Sendable {
    public let halfLife: Double
    public private(set) var names: [String] = []
    private var ids: [String: Int] = [:]
    private var usage: [Double] = []
    private var shares: [Double] = []
    private(set) var time: Int64
    private let declared: [String: Account]
    private var total: Double = 0
    /// Factors worked out, each with the `usageVersion` it was worked out at (an older one is stale); a pass
    /// asks for each account's many times. (A version, not a mark per factor: a change of usage, at every
    /// moment of a replay, then writes nothing per account.)
    private var factors: [(value: Double, version: UInt64)] = []
    private var usageVersion: UInt64 = 1

    public init(accounts: [Account], halfLife: TimeSpan, now: Int64) {
        self.halfLife = Double(max(halfLife.seconds, 1))
        self.time = now
        declared = Dictionary(accounts.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for a in accounts { _ = add(a.name) }
        renormalise()
    }

    /// The account's number, making it known (with its share) if it was not.
    public mutating func id(of account: String) -> Int {
        if let i = ids[account] { return i }
        let i = add(account)
        renormalise()
        return i
    }

    /// The account's number, if it is known.
    public func existingId(of account: String) -> Int? { ids[account] }

    /// Decays recorded usage to `t` and adds what each account's running GPUs (`gpusInUse[id]`) used since
    /// the last call.
    public mutating func advance(to t: Int64, gpusInUse: [Int]) {
        guard t > time else { return }
        let dt = Double(t - time)
        let keep = exp2(-dt / halfLife)
        // ∫₀^dt 2^(−(dt−s)/h) ds = h/ln2 · (1 − 2^(−dt/h))
        let accrued = halfLife / M_LN2 * (1 - keep)
        var sum = 0.0
        forgetFactors()
        // (Through the buffer: this runs at every moment anything happens in a replay.)
        usage.withUnsafeMutableBufferPointer { u in
            for i in u.indices {
                let g = i < gpusInUse.count ? Double(gpusInUse[i]) : 0
                u[i] = u[i] * keep + g * accrued
                sum += u[i]
            }
        }
        total = sum
        time = t
    }

    /// Adds usage now (a finished job's use, replayed from history).
    public mutating func charge(_ account: String, gpuSeconds: Double) {
        let i = id(of: account)
        usage[i] += gpuSeconds
        total += gpuSeconds
        forgetFactors()
    }

    /// Decayed GPU-seconds of `account` at the last `advance`.
    public func decayedUsage(_ account: String) -> Double { ids[account].map { usage[$0] } ?? 0 }

    /// All accounts' decayed GPU-seconds at the last `advance`.
    public var totalUsage: Double { total }

    /// The account's normalised share (0…1).
    public func share(_ account: String) -> Double { ids[account].map { shares[$0] } ?? 0 }

    /// 2^(−U/S), from 0 to 1.
    public func factor(_ account: String) -> Double {
        guard let i = ids[account] else { return 1 }
        return factor(id: i)
    }

    /// `factor(id:)`, worked out once until usage changes.
    public mutating func cachedFactor(id i: Int) -> Double {
        let known = factors[i]
        if known.version == usageVersion { return known.value }
        let f = factor(id: i)
        factors[i] = (f, usageVersion)
        return f
    }

    private mutating func forgetFactors() { usageVersion &+= 1 }

    public func factor(id i: Int) -> Double {
        let s = shares[i]
        guard s > 0 else { return 0 }
        guard total > 0 else { return 1 }
        return exp2(-usage[i] / total / s)
    }

    private mutating func add(_ name: String) -> Int {
        let i = names.count
        names.append(name)
        ids[name] = i
        usage.append(0)
        shares.append(0)
        factors.append((0, 0))
        return i
    }

    private mutating func renormalise() {
        // Siblings: declared children of one parent, or the top level (undeclared accounts join it).
        var siblingsTotal: [String: Double] = [:]
        for name in names {
            let a = declared[name]
            siblingsTotal[a?.parent ?? "", default: 0] += a?.share ?? 1
        }
        func normalised(_ name: String, depth: Int) -> Double {
            let a = declared[name]
            let own = (a?.share ?? 1) / max(siblingsTotal[a?.parent ?? ""] ?? 1, 1e-12)
            guard let parent = a?.parent, depth < 16 else { return own }
            return own * normalised(parent, depth: depth + 1)
        }
        for (i, name) in names.enumerated() { shares[i] = normalised(name, depth: 0) }
        forgetFactors()
    }
}
