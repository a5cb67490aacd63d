/// Account limits (cluster.yaml `accounts.NAME.limits`): a job that would pass one waits, named as the reason.
extension QueueBook {
    /// Why a job of `account` asking for `gpus` GPUs and `storage` for `timeLimit` seconds must wait for its
    /// account's limits, or nil when it may start.
    ///
    /// GPU-hours count what the account used this period plus what its running jobs may still use (to their
    /// time limits) plus this job's whole time limit, so jobs started together cannot pass the limit.
    mutating func limitReason(account: String, gpus: Int, storage: ByteSize, timeLimit: Int64) -> String? {
        guard anyLimits else { return nil }
        let a = accountId(account)
        let l = limits[a]
        guard !l.isEmpty else { return nil }
        if let max = l.gpus, gpusInUse[a] + gpus > max {
            return "account \(account) has \(gpusInUse[a]) GPUs in use and may hold \(max) (this job asks for \(gpus))"
        }
        if let max = l.storage, storageInUse[a] + storage > max {
            return "account \(account) claims \(storageInUse[a]) of shared storage and may claim \(max) "
                + "(this job asks for \(storage))"
        }
        if let hours = l.gpuHours {
            let used = periodUsage[a] / 3600
            let committed = max(gpuEndSum[a] - Double(gpusInUse[a]) * Double(time), 0) / 3600
            let own = Double(gpus) * Double(timeLimit) / 3600
            if used + committed + own > hours + 1e-9 {
                let period = max(l.period.seconds, 1)
                let restarts = TimeSpan(seconds: (periodIndex[a] + 1) * period - time)
                if own > hours {
                    return "account \(account) may use \(Self.hours(hours)) GPU-hours per \(l.period) and this job "
                        + "may use \(Self.hours(own)) (\(gpus) GPUs × its time limit); it can never start"
                }
                return "account \(account) has used \(Self.hours(used)) of its \(Self.hours(hours)) GPU-hours this "
                    + "period, its running jobs may use \(Self.hours(committed)) more and this job \(Self.hours(own)); "
                    + "the period restarts in \(restarts)"
            }
        }
        return nil
    }

    /// Why a job of `account` can never start under its account's limits, however idle the account, or nil.
    public static func neverWithinLimits(
        spec: ClusterSpec, account: String, gpus: Int, storage: ByteSize, timeLimit: Int64
    ) -> String? {
        guard let l = spec.account(named: account)?.limits, !l.isEmpty else { return nil }
        if let max = l.gpus, gpus > max {
            return "\(gpus) GPUs requested; account \(account) may hold \(max) at once"
        }
        if let max = l.storage, storage > max {
            return "\(storage) of shared storage requested; account \(account) may claim \(max)"
        }
        if let hours = l.gpuHours, Double(gpus) * Double(max(timeLimit, 1)) / 3600 > hours + 1e-9 {
            return
                "\(gpus) GPUs × its time limit is \(Self.hours(Double(gpus) * Double(max(timeLimit, 1)) / 3600)) GPU-hours; "
                + "account \(account) may use \(Self.hours(hours)) per \(l.period)"
        }
        return nil
    }

    static func hours(_ h: Double) -> String {
        let tenths = (h * 10).rounded()
        if h >= 100 || tenths.truncatingRemainder(dividingBy: 10) == 0 { return String(Int(h.rounded())) }
        return String(tenths / 10)
    }
}
