/// Why a request cannot be placed, in words a user can act on.
public struct PlacementRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    /// How final the refusal is.
    public enum Kind: String, Hashable, Sendable, Codable {
        /// The request itself is wrong (unknown partition, negative size, both gpus and gpuMemory).
        case invalid
        /// It can never run on this cluster, however idle (65 GPUs on 48).
        case neverFits = "never-fits"
        /// It could run, but not with what is free now.
        case notNow = "not-now"
    }

    public var kind: Kind
    /// One line: "65 GPUs requested; the cluster has 48".
    public var reason: String

    public init(_ kind: Kind, _ reason: String) {
        self.kind = kind
        self.reason = reason
    }

    public var description: String { reason }
}
