import Foundation
import Scheduler

/// Left-aligned text columns for people; numbers are right-aligned. Every cell is escaped
/// (`TerminalText.escaped`): a name with a newline or a terminal escape cannot forge a row or recolour the
/// screen.
struct Table {
    var header: [String]
    var rows: [[String]] = []

    init(_ header: String...) { self.header = header }
    init(header: [String]) { self.header = header }

    mutating func add(_ cells: [String]) { rows.append(cells.map(TerminalText.escaped)) }

    func render() -> String {
        let all = [header] + rows
        let widths = header.indices.map { c in all.map { $0.indices.contains(c) ? $0[c].count : 0 }.max() ?? 0 }
        let numeric = header.indices.map { c in
            !rows.isEmpty
                && rows.allSatisfy { row in
                    let cell = row.indices.contains(c) ? row[c] : ""
                    return !cell.isEmpty && cell.allSatisfy { $0.isNumber || $0 == "." || $0 == "%" || $0 == "-" }
                }
        }
        return all.map { row in
            header.indices.map { c in
                let cell = row.indices.contains(c) ? row[c] : ""
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                return numeric[c] ? pad + cell : cell + pad
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }.joined(separator: "\n")
    }
}

/// Compact lists: [0,1,2,3,8] → "0-3,8"; "-" for none.
func compactRanges(_ values: [Int]) -> String {
    values.isEmpty ? "-" : RangeList.compact(values)
}
