import RasporedAPI
import Scheduler

/// What running jobs use, as their agents sample it (`RunUsage` in heartbeats): kept per job and node in
/// memory while the job runs, shown with the job (`JobView.usage`), summed into its run's record when it
/// ends, and watched for GPUs held idle.
extension ControllerCore {
    /// Takes the samples of the runs `node` reports running: only a job's current run on one of its nodes.
    func noteUsage(_ runs: [RunStatus], from node: String) {
        for r in runs where r.phase == .running {
            guard let reported = r.usage, let (id, attempt) = RunId.parse(r.runId), let job = live[id],
                job.state == .running, job.requeueCount == attempt, job.nodes.contains(node),
                let usage = Self.checked(reported, gpus: job.allocation?.nodes.first { $0.node == node }?.gpus ?? [])
            else { continue }
            runUsage[id, default: [:]][node] = usage
            trackIdleGPUs(job)
        }
    }

    /// An agent's sample as figures it can be: a time from 1970 to 2100, percentages from 0 to 100, lengths
    /// and power that are finite and not negative, only the run's own GPUs on the node (`gpus`); nil for a
    /// sample whose time is none. (Agents are trusted for their node; their numbers are still checked, as
    /// every number from outside is.)
    nonisolated static func checked(_ u: RunUsage, gpus: [Int]) -> RunUsage? {
        guard u.at.isFinite, (0...4_102_444_800).contains(u.at) else { return nil }
        func amount(_ v: Double?, max: Double) -> Double? {
            v.flatMap { $0.isFinite && $0 >= 0 && $0 <= max ? $0 : nil }
        }
        var out = u
        out.cpuSeconds = amount(u.cpuSeconds, max: 1e12)
        out.cpus = u.cpus.flatMap { (1...1_000_000).contains($0) ? $0 : nil }
        let own = Set(gpus)
        out.gpus = u.gpus?.compactMap { g -> GPUUsage? in
            guard own.contains(g.index), let now = amount(g.utilization, max: 100),
                let mean = amount(g.meanUtilization, max: 100)
            else { return nil }
            var g = g
            g.utilization = now
            g.meanUtilization = mean
            g.powerWatts = amount(g.powerWatts, max: 1e6)
            return g
        }
        if out.gpus?.isEmpty == true { out.gpus = nil }
        return out
    }

    /// Whether every GPU the job's nodes reported is under the idle threshold: from the first sample that says
    /// so (`gpusIdleSince`), until one GPU is busy again. A job whose GPUs nobody can read is never idle.
    func trackIdleGPUs(_ job: Job) {
        guard settings.idleGPUAfterSeconds > 0, let samples = runUsage[job.id] else { return }
        let gpus = samples.values.flatMap { $0.gpus ?? [] }
        guard !gpus.isEmpty else {
            gpusIdleSince[job.id] = nil
            return
        }
        if gpus.allSatisfy({ $0.utilization < settings.idleGPUUtilization }) {
            let at = samples.values.map(\.at).min() ?? 0
            if gpusIdleSince[job.id] == nil { gpusIdleSince[job.id] = at }
        } else {
            gpusIdleSince[job.id] = nil
            idleAnnounced.remove(job.id)
        }
    }

    /// Tells of each job newly flagged as holding idle GPUs: a log line, and the admins' hook where one is set
    /// (once per run). Called by the sweep.
    func announceIdleGPUs() {
        let now = Double(timestamp().millis) / 1000
        for (id, gpus) in idleGPUJobs where !idleAnnounced.contains(id) {
            idleAnnounced.insert(id)
            guard let job = live[id], let since = gpusIdleSince[id] else { continue }
            let samples = (runUsage[id] ?? [:]).values.flatMap { $0.gpus ?? [] }
            let mean = samples.isEmpty ? 0 : samples.map(\.meanUtilization).reduce(0, +) / Double(samples.count)
            logger.notice(
                "job holds idle GPUs",
                metadata: [
                    "job": "\(id)", "user": "\(job.user)", "gpus": "\(gpus)", "idleSeconds": "\(Int(now - since))",
                ])
            guard let program = settings.idleGPUHook else { continue }
            IdleGPUHook(program: program).run(
                [
                    "RASPORED_JOB_ID": job.array.map(\.description) ?? "\(id)", "RASPORED_JOB_NAME": job.name,
                    "RASPORED_JOB_USER": job.user, "RASPORED_JOB_ACCOUNT": job.account,
                    "RASPORED_JOB_NODELIST": HostList.compact(job.nodes), "RASPORED_GPUS": "\(gpus)",
                    "RASPORED_IDLE_SINCE": "\(Int64(since))", "RASPORED_IDLE_SECONDS": "\(Int64(now - since))",
                    "RASPORED_MEAN_GPU_UTILIZATION": String(format: "%.1f", mean),
                ], logger: logger)
        }
        idleAnnounced.formIntersection(gpusIdleSince.keys)
    }

    /// Forgets the samples of a job that no longer runs (its run ended or went back to the queue).
    func forgetUsage(_ id: Int64) {
        runUsage[id] = nil
        gpusIdleSince[id] = nil
        idleAnnounced.remove(id)
    }

    /// The view with what the job's running run uses, and whether its GPUs are idle.
    func withUsage(_ v: JobView) -> JobView {
        guard v.state == .running else { return v }
        var v = v
        v.usage = runUsage[v.id]
        if let since = gpusIdleSince[v.id] {
            v.gpusIdleSince = since
            v.gpusIdle = Double(timestamp().millis) / 1000 - since >= settings.idleGPUAfterSeconds
        }
        return v
    }

    /// The GPUs of a run that ends, from the latest samples of its nodes.
    func gpuSummary(_ id: Int64) -> [GPUUsage]? {
        let gpus = (runUsage[id] ?? [:]).sorted { $0.key < $1.key }.flatMap { $0.value.gpus ?? [] }
        return gpus.isEmpty ? nil : gpus
    }

    /// Running jobs whose GPUs have been idle past the threshold, and how many GPUs they hold.
    var idleGPUJobs: [(id: Int64, gpus: Int)] {
        let now = Double(timestamp().millis) / 1000
        return gpusIdleSince.compactMap { id, since in
            guard now - since >= settings.idleGPUAfterSeconds, let j = live[id], j.state == .running else { return nil }
            return (id, j.allocation?.nodes.reduce(0) { $0 + $1.gpus.count } ?? 0)
        }.sorted { $0.id < $1.id }
    }
}
