import Foundation

/// Comma-separated text split into records, each with its 1-based line number, for the trace readers.
///
/// Fields may be quoted with `"` (a doubled `""` inside is one quote); a quoted field may not span
/// lines. Blank lines are skipped; a `\r` before a line's end is removed.
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

    /// Splits `text`; the first non-blank line is the header. Works on UTF-8 bytes: a line ends at LF
    /// (a CR before it is dropped); fields are split at commas outside quotes.
    init(_ text: String, file: String) throws(ConfigError) {
        self.file = file
        var rows: [Record] = []
        var number = 0
        var text = text
        var failure: ConfigError?
        text.withUTF8 { bytes in
            var start = 0
            while start <= bytes.count {
                var end = start
                while end < bytes.count && bytes[end] != 10 { end += 1 }
                number += 1
                var last = end
                if last > start && bytes[last - 1] == 13 { last -= 1 }
                let line = UnsafeBufferPointer(rebasing: bytes[start..<last])
                if !line.allSatisfy({ $0 == 32 || $0 == 9 }) {
                    do throws(ConfigError) {
                        rows.append(Record(line: number, fields: try Self.split(line, file: file, line: number)))
                    } catch {
                        failure = error
                        return
                    }
                }
                start = end + 1
            }
        }
        if let failure { throw failure }
        guard let first = rows.first else {
            throw ConfigError(file: file, line: nil, path: "", message: "empty file: expected a header line")
        }
        header = first.fields
        headerLine = first.line
        records = Array(rows.dropFirst())
    }

    /// The index of each named column; throws for a missing required one.
    func columns(required: [String], optional: [String], allowOthers: Bool) throws(ConfigError) -> [String: Int] {
        var index: [String: Int] = [:]
        for (i, name) in header.enumerated() {
            if index[name] != nil { throw error(line: headerLine, "column '\(name)' appears twice") }
            if !allowOthers && !required.contains(name) && !optional.contains(name) {
                throw error(
                    line: headerLine,
                    "unknown column '\(name)' (columns: \((required + optional).joined(separator: ",")))")
            }
            index[name] = i
        }
        let missing = required.filter { index[$0] == nil }
        if !missing.isEmpty {
            throw error(
                line: headerLine, "missing column\(missing.count > 1 ? "s" : "") \(missing.joined(separator: ", "))")
        }
        return index
    }

    func error(line: Int, path: String = "", _ message: String) -> ConfigError {
        ConfigError(file: file, line: line, path: path, message: message)
    }

    /// The fields of one line, each trimmed of spaces and tabs outside quotes; `""` inside quotes is one quote.
    private static func split(
        _ line: UnsafeBufferPointer<UInt8>, file: String, line number: Int
    ) throws(ConfigError) -> [String] {
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false
        var wasQuoted = false
        func finish() {
            var lo = 0
            var hi = field.count
            if !wasQuoted {
                while lo < hi && (field[lo] == 32 || field[lo] == 9) { lo += 1 }
                while hi > lo && (field[hi - 1] == 32 || field[hi - 1] == 9) { hi -= 1 }
            }
            fields.append(String(decoding: field[lo..<hi], as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            wasQuoted = false
        }
        var i = 0
        while i < line.count {
            let c = line[i]
            if quoted {
                if c == 34 {
                    if i + 1 < line.count && line[i + 1] == 34 {
                        field.append(34)
                        i += 1
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(c)
                }
            } else if c == 44 {
                finish()
            } else if c == 34 && !wasQuoted && field.allSatisfy({ $0 == 32 || $0 == 9 }) {
                field.removeAll()
                quoted = true
                wasQuoted = true
            } else if !(wasQuoted && (c == 32 || c == 9)) {
                field.append(c)
            }
            i += 1
        }
        if quoted {
            throw ConfigError(file: file, line: number, path: "", message: "a quoted field is not closed on this line")
        }
        finish()
        return fields
    }
}

extension CSVRecords.Record {
    /// The field of `column` (already trimmed); "" when the record is too short or the column is absent.
    func field(_ column: Int?) -> String {
        guard let column, column < fields.count else { return "" }
        return fields[column]
    }
}

extension Workload {
    /// A trace file's text and the name errors give it (its last path component).
    static func readTrace(path: String) throws(ConfigError) -> (text: String, name: String) {
        let name = (path as NSString).lastPathComponent
        do { return (try String(contentsOfFile: path, encoding: .utf8), name) } catch {
            throw ConfigError(file: name, line: nil, path: "", message: "cannot read: \(error.localizedDescription)")
        }
    }
}
