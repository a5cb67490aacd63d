extension Workload {
    /// The same jobs with their arrivals stretched or compressed about the first arrival so that the
    /// offered load on a cluster of `gpus` GPUs equals `load`.
    ///
    /// Offered load is L = Σ gpusᵢ × durationᵢ / (S × G), with S the span from the first to the last
    /// arrival and G the cluster's GPUs. Every submit time becomes t₀ + f × (tᵢ − t₀) with
    /// f = L / load, so S becomes f × S and the load becomes exactly `load`. Durations, requests and
    /// the order of arrival are unchanged.
    public func scaled(toLoad load: Double, gpus: Int) throws(ConfigError) -> Workload {
        func refuse(_ m: String) -> ConfigError { ConfigError(file: nil, line: nil, path: "load", message: m) }
        guard load > 0, load.isFinite else { throw refuse("the target load must be a positive number, not \(load)") }
        guard gpus > 0 else { throw refuse("the cluster has no GPUs to offer load to") }
        guard jobs.count >= 2, arrivalSpan > 0 else {
            throw refuse("the workload's arrivals span no time (\(jobs.count) job(s)); there is nothing to rescale")
        }
        guard let current = offeredLoad(gpus: gpus), current > 0 else {
            throw refuse("the workload asks for no GPU time, so no rescaling of arrivals gives load \(load)")
        }
        let factor = current / load
        let t0 = jobs[0].submit
        var out = self
        out.jobs = jobs.map { job in
            var j = job
            j.submit = t0 + factor * (job.submit - t0)
            return j
        }
        out.provenance += "; arrivals scaled ×\(factor) to offered load \(load) on \(gpus) GPUs (was \(current))"
        return out
    }
}
