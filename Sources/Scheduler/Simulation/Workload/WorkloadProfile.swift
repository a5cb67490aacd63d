/// What a synthetic workload looks like: how many GPUs jobs ask for, how long they run, how often they arrive.
public struct WorkloadProfile: Hashable, Sendable {
    /// One job size and its relative weight in the mix.
    public struct SizeShare: Hashable, Sendable {
        public var gpus: Int
        public var weight: Double
        public init(gpus: Int, weight: Double) {
            self.gpus = gpus
            self.weight = weight
        }
    }

    /// Job sizes (GPUs per job, 0 for CPU-only) with weights; they need not sum to 1.
    public var sizeMix: [SizeShare]
    public var duration: LogNormalDuration
    /// Mean arrivals per hour, averaged over whole days.
    public var arrivalsPerHour: Double
    /// Diurnal swing of the arrival rate: the rate at hour h of the day is
    /// arrivalsPerHour × (1 + a × cos(2π (h − peakHour) / 24)); 0 for a plain Poisson process. 0 ≤ a < 1.
    public var diurnalAmplitude: Double
    /// Hour of the (trace's) day at which arrivals peak.
    public var peakHour: Double
    /// Where the numbers come from.
    public var source: String

    public init(
        sizeMix: [SizeShare], duration: LogNormalDuration, arrivalsPerHour: Double, diurnalAmplitude: Double = 0,
        peakHour: Double = 0, source: String
    ) {
        precondition(!sizeMix.isEmpty && sizeMix.allSatisfy { $0.gpus >= 0 && $0.weight >= 0 })
        precondition(sizeMix.contains { $0.weight > 0 }, "a size mix needs a positive weight")
        precondition(arrivalsPerHour > 0 && (0..<1).contains(diurnalAmplitude))
        self.sizeMix = sizeMix
        self.duration = duration
        self.arrivalsPerHour = arrivalsPerHour
        self.diurnalAmplitude = diurnalAmplitude
        self.peakHour = peakHour
        self.source = source
    }

    /// The mix's mean GPUs per job.
    public var meanGPUs: Double {
        let total = sizeMix.reduce(0) { $0 + $1.weight }
        return sizeMix.reduce(0) { $0 + Double($1.gpus) * $1.weight } / total
    }

    /// Microsoft Philly, from the Pollux extraction (microsoft-philly-via-pollux/philly.csv, 82,247 jobs
    /// over 108.9 days): the job counts per GPU count, the log-normal fitted to its median and mean run
    /// time, its arrival rate ((82,247 − 1) arrivals in 9,408,690 s = 31.4694/h) and the first harmonic
    /// of its arrivals per hour of day (amplitude 0.289, peak at 04:59 of the trace's clock, from
    /// hourly counts taken at the middle of each hour and undamped by sinc(π/24)).
    public static let philly = WorkloadProfile(
        sizeMix: [
            .init(gpus: 1, weight: 76_627), .init(gpus: 2, weight: 1818), .init(gpus: 4, weight: 1870),
            .init(gpus: 8, weight: 1643), .init(gpus: 12, weight: 7), .init(gpus: 16, weight: 199),
            .init(gpus: 24, weight: 7), .init(gpus: 32, weight: 67), .init(gpus: 64, weight: 6),
            .init(gpus: 128, weight: 3),
        ],
        duration: .philly, arrivalsPerHour: 31.4694, diurnalAmplitude: 0.289, peakHour: 4.98,
        source: "Microsoft Philly (Pollux extraction, philly.csv)")
}
