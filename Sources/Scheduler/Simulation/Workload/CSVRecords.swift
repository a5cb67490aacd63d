import Foundation

/// Comma-separated text split into records, each with its 1-based line number, for the trace readers.
///
/// Fields may be quoted with `"` (a doubled `""` inside is one quote); a quoted field may not span
/// lines. Blank lines are skipped; a trailing `\r` is removed.
struct CSVRecords {
    struct Record {
        var line: Int
        var fields: [String]
    }

    /// The file name errors are reported against.
    var file: String
    var header: [String]
    var headerLine: Int
    var records: [Record]

    /// Splits `text`; the first non-blank line is the header.
    init(_ text: String, file: String) throws(ConfigError) {
        self.file = file
        var rows: [Record] = []
        var number = 0
        // "\r\n" is one Character in Swift, so both line ends are separators.
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            number += 1
            var line = Substring(raw)
            if line.last == "\r" { line = line.dropLast() }
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            rows.append(Record(line: number, fields: try Self.split(line, file: file, line: number)))
        }
        guard let first = rows.first else {
            throw ConfigError(file: file, line: nil, path: "", message: "empty file: expected a header line")
        }
        header = first.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        headerLine = first.line
        records = Array(rows.dropFirst())
    }

    /// The index of each named column; throws for a missing required one.
    func columns(required: [String], optional: [String], allowOthers: Bool) throws(ConfigError) -> [String: Int] {
        var index: [String: Int] = [:]
        for (i, name) in header.enumerated() {
            if index[name] != nil { throw error(line: headerLine, "column '\(name)' appears twice") }
            if !allowOthers && !required.contains(name) && !optional.contains(name) {
                throw error(line: headerLine, "unknown column '\(name)' (columns: \((required + optional).joined(separator: ",")))")
            }
            index[name] = i
        }
        let missing = required.filter { index[$0] == nil }
        if !missing.isEmpty {
            throw error(line: headerLine, "missing column\(missing.count > 1 ? "s" : "") \(missing.joined(separator: ", "))")
        }
        return index
    }

    func error(line: Int, path: String = "", _ message: String) -> ConfigError {
        ConfigError(file: file, line: line, path: path, message: message)
    }

    private static func split(_ line: Substring, file: String, line number: Int) throws(ConfigError) -> [String] {
        var fields: [String] = []
        var field = ""
        var quoted = false
        var i = line.startIndex
        while i < line.endIndex {
            let c = line[i]
            if quoted {
                if c == "\"" {
                    let next = line.index(after: i)
                    if next < line.endIndex && line[next] == "\"" {
                        field.append("\"")
                        i = next
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(c)
                }
            } else if c == "," {
                fields.append(field)
                field = ""
            } else if c == "\"" && field.isEmpty {
                quoted = true
            } else {
                field.append(c)
            }
            i = line.index(after: i)
        }
        if quoted {
            throw ConfigError(file: file, line: number, path: "", message: "a quoted field is not closed on this line")
        }
        fields.append(field)
        return fields
    }
}

extension CSVRecords.Record {
    /// The field of `column`, trimmed; "" when the record is too short or the column is absent.
    func field(_ column: Int?) -> String {
        guard let column, column < fields.count else { return "" }
        return fields[column].trimmingCharacters(in: .whitespaces)
    }
}
