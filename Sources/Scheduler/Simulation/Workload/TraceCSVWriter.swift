import Foundation

extension TraceCSV {
    /// The workload as trace text that `parse` reads back to the same jobs: the header, then one line
    /// per job in arrival order. Columns beyond `baseColumns` are written only when some job uses them.
    public static func write(_ workload: Workload) -> String {
        let extras = extraColumns.filter { c in workload.jobs.contains { extraField(c, of: $0) != "" } }
        var out = (baseColumns + extras).joined(separator: ",") + "\n"
        for job in workload.jobs {
            let r = job.request
            var fields = [
                quote(job.id), seconds(job.submit), seconds(job.duration), r.time.map(\.description) ?? "",
                r.gpus.map(String.init) ?? "", size(r.gpuMemory), quote(r.gpuModel), r.cpus.map(String.init) ?? "",
                size(r.memory), r.nodes.map(String.init) ?? "", quote(job.user), quote(r.account), quote(r.partition),
            ]
            fields += extras.map { extraField($0, of: job) }
            out += fields.joined(separator: ",") + "\n"
        }
        return out
    }

    private static func extraField(_ column: String, of job: TraceJob) -> String {
        let r = job.request
        switch column {
        case "min_gpu_memory": return size(r.minGpuMemory)
        case "gpus_per_node": return r.gpusPerNode.map(String.init) ?? ""
        case "scratch": return size(r.scratch)
        case "storage": return size(r.storage)
        case "exclusive": return r.exclusive ? "true" : ""
        case "same_numa": return r.sameNuma ? "true" : ""
        case "hold": return job.hold.map(seconds) ?? ""
        default: return ""
        }
    }

    /// Whole seconds as an integer; otherwise Swift's shortest text that reads back to the same Double.
    static func seconds(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 9e15 { return String(Int64(v)) }
        return "\(v)"
    }

    /// The engine's size text without its space ("80GiB") when it reads back exactly, else a byte count.
    static func size(_ s: ByteSize?) -> String {
        guard let s else { return "" }
        let text = s.description.replacingOccurrences(of: " ", with: "")
        return ByteSize(parsing: text) == s ? text : String(s.bytes)
    }

    /// Milliseconds as seconds with at most three decimals, trailing zeros left out ("12.5", "3600", "0.07").
    public static func millisText(_ ms: Int64) -> String {
        let whole = ms / 1000
        let rest = abs(ms % 1000)
        guard rest != 0 else { return String(whole) }
        var digits = String(rest)
        digits = String(repeating: "0", count: 3 - digits.count) + digits
        while digits.last == "0" { digits.removeLast() }
        return (ms < 0 && whole == 0 ? "-" : "") + "\(whole).\(digits)"
    }

    /// A CSV field: quoted when it holds a comma, a quote, or leading or trailing space, or is empty.
    public static func quote(_ s: String?) -> String {
        guard let s else { return "" }
        let needs = s.contains(",") || s.contains("\"") || s.first == " " || s.last == " " || s.isEmpty
        return needs ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
