/// Node names as Slurm writes host lists: ["dgx05", "dgx06", "dgx08"] → "dgx[05-06,08]" (`squeue`'s
/// NODELIST, `SLURM_JOB_NODELIST`; `RangeList.expandHosts` reads them back).
public enum HostList {
    /// Names sharing a prefix and a digit width are folded into one bracketed range list, in the order
    /// their prefixes first appear; other names are kept as they are.
    public static func compact(_ names: [String]) -> String {
        var order: [String] = []
        var groups: [String: (prefix: String, numbers: [Int], texts: [String])] = [:]
        for name in names {
            let digits = name.reversed().prefix(while: { $0.isASCII && $0.isNumber })
            guard !digits.isEmpty, digits.count < name.count, let n = Int(String(digits.reversed())) else {
                order.append(name)
                groups[name] = (name, [], [])
                continue
            }
            let prefix = String(name.dropLast(digits.count))
            let key = "\(prefix)#\(digits.count)"
            if groups[key] == nil {
                order.append(key)
                groups[key] = (prefix, [], [])
            }
            if !groups[key]!.numbers.contains(n) {
                groups[key]!.numbers.append(n)
                groups[key]!.texts.append(String(digits.reversed()))
            }
        }
        return order.map { key in
            let g = groups[key]!
            if g.numbers.isEmpty { return g.prefix }
            if g.numbers.count == 1 { return g.prefix + g.texts[0] }
            let width = g.texts[0].count
            func padded(_ v: Int) -> String {
                let s = String(v)
                return String(repeating: "0", count: max(0, width - s.count)) + s
            }
            let sorted = g.numbers.sorted()
            var parts: [String] = []
            var i = 0
            while i < sorted.count {
                var j = i
                while j + 1 < sorted.count && sorted[j + 1] == sorted[j] + 1 { j += 1 }
                parts.append(i == j ? padded(sorted[i]) : "\(padded(sorted[i]))-\(padded(sorted[j]))")
                i = j + 1
            }
            return "\(g.prefix)[\(parts.joined(separator: ","))]"
        }.joined(separator: ",")
    }
}
