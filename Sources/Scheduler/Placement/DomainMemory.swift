/// Host memory taken from each NUMA domain of a node, indexed by domain, as an allocation holds it: up to
/// four domains inline (a placement allocates nothing for them, and releasing a job reads no other memory),
/// more in an array. It reads and writes like an array of `ByteSize`.
public struct DomainMemory: RandomAccessCollection, MutableCollection, Hashable, Sendable, ExpressibleByArrayLiteral {
    public static let inlineCapacity = 4
    private var inline: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    /// Every domain's memory when there are more than `inlineCapacity` (nil otherwise: a copy of a node's
    /// allocation then counts no reference).
    private var spilled: [ByteSize]?
    public private(set) var count: Int

    /// `count` domains with nothing taken.
    public init(zeroes count: Int) {
        precondition(count >= 0)
        self.count = count
        if count > Self.inlineCapacity { spilled = Array(repeating: .zero, count: count) }
    }

    public init<S: Sequence>(_ values: S) where S.Element == ByteSize {
        let all = Array(values)
        self.init(zeroes: all.count)
        for (d, m) in all.enumerated() { self[d] = m }
    }

    public init(arrayLiteral elements: ByteSize...) { self.init(elements) }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(d: Int) -> ByteSize {
        get {
            precondition(d >= 0 && d < count, "NUMA domain \(d) out of range")
            if count > Self.inlineCapacity { return spilled![d] }
            switch d {
            case 0: return ByteSize(bytes: inline.0)
            case 1: return ByteSize(bytes: inline.1)
            case 2: return ByteSize(bytes: inline.2)
            default: return ByteSize(bytes: inline.3)
            }
        }
        // (Inlined: a placement sets a domain's memory for every domain it takes from.)
        @inline(__always) set {
            precondition(d >= 0 && d < count, "NUMA domain \(d) out of range")
            if count > Self.inlineCapacity {
                spilled![d] = newValue
                return
            }
            switch d {
            case 0: inline.0 = newValue.bytes
            case 1: inline.1 = newValue.bytes
            case 2: inline.2 = newValue.bytes
            default: inline.3 = newValue.bytes
            }
        }
    }

    public static func == (a: DomainMemory, b: DomainMemory) -> Bool { a.elementsEqual(b) }

    public func hash(into h: inout Hasher) {
        h.combine(count)
        for m in self { h.combine(m) }
    }
}
