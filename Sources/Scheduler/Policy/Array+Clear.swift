extension Array {
    /// Empties the array, keeping its storage, one element at a time from the end: for the few elements a
    /// pass's scratch lists hold, cheaper than `removeAll(keepingCapacity:)`, which replaces a subrange.
    mutating func clearKeepingCapacity() {
        while popLast() != nil {}
    }
}
