/// The nearest-rank quantile: the value at rank ⌈p × n⌉ of `sorted` (ascending); nil when it is empty.
/// The simulator's wait percentiles and `schedctl history`'s hold figures are read this one way.
public func nearestRank<T>(_ sorted: [T], _ p: Double) -> T? {
    guard !sorted.isEmpty else { return nil }
    let rank = Int((p * Double(sorted.count)).rounded(.up)) - 1
    return sorted[min(max(rank, 0), sorted.count - 1)]
}
