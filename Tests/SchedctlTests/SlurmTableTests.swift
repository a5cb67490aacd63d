import ArgumentParser
import Foundation
import Testing

@testable import SchedctlCore

/// docs/schedctl.md stays true to the CLI: every `schedctl` line of "Coming from Slurm" parses as the CLI
/// parses it (a job option it does not take, or a flag a command does not have, fails), and the submit table
/// names exactly the job options the parser knows (`JobDirectives.options`).
@Suite struct SlurmTableTests {
    static let docs: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return (try? String(contentsOf: root.appendingPathComponent("docs/schedctl.md"), encoding: .utf8)) ?? ""
    }()

    /// The rows of the Markdown table that follows `heading`, as their cells.
    static func rows(after heading: String) -> [[String]] {
        guard let start = docs.range(of: heading) else { return [] }
        var rows: [[String]] = []
        var inTable = false
        for line in docs[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("|") {
                inTable = true
                let cells = line.dropFirst().dropLast().split(separator: "|", omittingEmptySubsequences: false)
                    .map { $0.trimmingCharacters(in: .whitespaces) }
                if cells.first?.hasPrefix("---") == true { continue }
                rows.append(cells)
            } else if inTable {
                break
            }
        }
        return Array(rows.dropFirst())  // the header
    }

    /// The words of a command line, with "…" grouping (as a shell would split the table's examples).
    static func words(_ line: String) -> [String] {
        var out: [String] = []
        var current = ""
        var quoted = false
        var any = false
        for ch in line {
            if ch == "\"" {
                quoted.toggle()
                any = true
            } else if ch == " " && !quoted {
                if any { out.append(current) }
                current = ""
                any = false
            } else {
                current.append(ch)
                any = true
            }
        }
        if any { out.append(current) }
        return out
    }

    @Test func everySchedctlLineOfComingFromSlurmParses() throws {
        let rows = Self.rows(after: "## Coming from Slurm")
        #expect(rows.count >= 25)
        for row in rows {
            let cell = row[1]
            // `srun` and `scontrol` on a job's PATH are `schedctl run` and `schedctl scontrol`.
            guard cell.hasPrefix("`schedctl ") || cell.hasPrefix("`srun ") || cell.hasPrefix("`scontrol "),
                cell.hasSuffix("`")
            else {
                Issue.record("not a schedctl line: \(cell)")
                continue
            }
            var args = Array(Self.words(String(cell.dropFirst().dropLast())).dropFirst())
            if cell.hasPrefix("`srun ") { args.insert("run", at: 0) }
            if cell.hasPrefix("`scontrol ") { args.insert("scontrol", at: 0) }
            do {
                let command = try Schedctl.parseAsRoot(args)
                if let run = command as? RunStepCommand {
                    // The step's options, submit's options, and the command, split as `run` splits them.
                    let a = try StepArguments(run.arguments)
                    #expect(!a.command.isEmpty, "\(cell)")
                    _ = try RunStepCommand.submitLine(a.rest)
                }
                if let alloc = command as? AllocCommand { _ = try RunStepCommand.submitLine(alloc.arguments) }
                if let submit = command as? SubmitCommand {
                    // The job options, read as `run` reads them.
                    let (_, notes, rest) = try submit.commandLine()
                    #expect(notes.isEmpty, "\(cell): \(notes)")
                    #expect(rest.command.first == "--" || rest.command.first?.hasSuffix(".sh") == true, "\(cell)")
                }
            } catch {
                Issue.record("\(cell) does not parse: \(error)")
            }
        }
    }

    @Test func theSubmitTableNamesExactlyTheJobOptions() throws {
        let rows = Self.rows(after: "### submit")
        var documented: Set<String> = []
        for row in rows {
            // `-G N`, `--gpus N`, `--gpus MODEL:N`: the option names of the first cell.
            for code in row[0].split(separator: "`", omittingEmptySubsequences: false).enumerated().filter({
                $0.offset % 2 == 1
            }).map(\.element) {
                if let name = code.split(separator: " ").first, name.hasPrefix("-") { documented.insert(String(name)) }
            }
        }
        var known: Set<String> = []
        for o in JobDirectives.options {
            known.insert("--" + o.long)
            for a in o.aliases { known.insert("--" + a) }
            if let s = o.short { known.insert("-\(s)") }
        }
        #expect(documented.subtracting(known).sorted() == [], "documented, but not job options")
        #expect(known.subtracting(documented).sorted() == [], "job options missing from docs/schedctl.md")
    }
}
