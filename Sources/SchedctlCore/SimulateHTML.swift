import Foundation
import Scheduler

/// `schedctl simulate --report FILE.html`: one self-contained page (inline SVG and CSS, no scripts, no
/// network) with the side-by-side table, utilisation and queue length over time, and the wait-time
/// distribution of each scenario.
enum SimulateHTML {
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"]

    /// `jobsOut`: where `--jobs-out` wrote the per-job rows, as the page should link to it (nil: no link).
    static func page(_ columns: [SimulationColumn], title: String, workload: String, jobsOut: String? = nil) -> String {
        let name = columns.map { "\($0.scenario) (\($0.policy))" }
        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
            <style>
            body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; max-width: 1100px }
            table { border-collapse: collapse; margin: 1em 0 } td, th { padding: 3px 10px; border-bottom: 1px solid #ddd }
            td { text-align: right } td:first-child, th:first-child { text-align: left }
            .legend span { display: inline-block; margin-right: 1.5em } .sw { width: 12px; height: 12px; display: inline-block; margin-right: 4px }
            svg { background: #fafafa; border: 1px solid #ddd } text { font: 11px sans-serif; fill: #444 }
            </style></head><body>
            <h1>\(escape(title))</h1>
            <p>Workload: \(escape(workload)). Same scheduling code as the controller (engine placement and queue pass).</p>
            \(jobsOut.map { "<p>Every job's start, end, outcome and placement: <a href=\"\(escape($0))\">\(escape($0))</a> (CSV).</p>" } ?? "")
            <div class="legend">\(name.enumerated().map { "<span><i class=\"sw\" style=\"background:\(palette[$0.offset % palette.count])\"></i>\(escape($0.element))</span>" }.joined())</div>
            <h2>Figures</h2>
            \(table(columns))
            <h2>GPU utilisation over time</h2>
            """
        html += chart(
            columns.map { c in
                c.timeline.map { (Double($0.time), c.gpus > 0 ? Double($0.busyGPUs) / Double(c.gpus) * 100 : 0) }
            },
            xLabel: "time (h)", yLabel: "% of GPUs busy", xScale: 3600, yMax: 100)
        html += "<h2>Queue length over time</h2>"
        html += chart(
            columns.map { c in c.timeline.map { (Double($0.time), Double($0.queued)) } }, xLabel: "time (h)",
            yLabel: "jobs waiting", xScale: 3600, yMax: nil)
        html += "<h2>Wait-time distribution</h2>"
        html += chart(
            columns.map { c in
                let n = c.waits.count
                guard n > 0 else { return [] }
                let step = max(n / 400, 1)
                return stride(from: 0, to: n, by: step).map { (Double(c.waits[$0]), Double($0 + 1) / Double(n) * 100) }
                    + [(Double(c.waits[n - 1]), 100)]
            }, xLabel: "wait (h)", yLabel: "% of jobs waiting at most", xScale: 3600, yMax: 100)
        html += "</body></html>\n"
        return html
    }

    static func table(_ columns: [SimulationColumn]) -> String {
        var out =
            "<table><tr><th></th>" + columns.map { "<th>\(escape("\($0.scenario) (\($0.policy))"))</th>" }.joined()
            + "</tr>"
        for (name, cells) in SimulateOutput.rows(columns) {
            out += "<tr><td>\(escape(name))</td>" + cells.map { "<td>\(escape($0))</td>" }.joined() + "</tr>"
        }
        return out + "</table>"
    }

    /// A line chart, one series per scenario, as inline SVG.
    static func chart(_ series: [[(Double, Double)]], xLabel: String, yLabel: String, xScale: Double, yMax: Double?)
        -> String
    {
        let w = 900.0, h = 260.0, left = 60.0, bottom = 30.0
        let xs = series.flatMap { $0.map(\.0) }, ys = series.flatMap { $0.map(\.1) }
        let x0 = xs.min() ?? 0, x1 = max(xs.max() ?? 1, x0 + 1)
        let y1 = yMax ?? max(ys.max() ?? 1, 1)
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * (w - left - 10) }
        func py(_ y: Double) -> Double { (h - bottom) - y / y1 * (h - bottom - 10) }
        var svg =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\">"
        for k in 0...4 {
            let y = y1 * Double(k) / 4
            svg += "<line x1=\"\(left)\" x2=\"\(w - 10)\" y1=\"\(py(y))\" y2=\"\(py(y))\" stroke=\"#e4e4e4\"/>"
            svg += "<text x=\"\(left - 6)\" y=\"\(py(y) + 4)\" text-anchor=\"end\">\(String(format: "%.0f", y))</text>"
            let x = x0 + (x1 - x0) * Double(k) / 4
            svg +=
                "<text x=\"\(px(x))\" y=\"\(h - 10)\" text-anchor=\"middle\">\(String(format: "%.1f", (x - x0) / xScale))</text>"
        }
        svg += "<text x=\"\(w / 2)\" y=\"\(h)\" text-anchor=\"middle\">\(escape(xLabel))</text>"
        svg +=
            "<text x=\"12\" y=\"\(h / 2)\" transform=\"rotate(-90 12 \(h / 2))\" text-anchor=\"middle\">\(escape(yLabel))</text>"
        for (i, points) in series.enumerated() where !points.isEmpty {
            let path = points.map { String(format: "%.1f,%.1f", px($0.0), py($0.1)) }.joined(separator: " ")
            svg +=
                "<polyline fill=\"none\" stroke-width=\"1.5\" stroke=\"\(palette[i % palette.count])\" points=\"\(path)\"/>"
        }
        return svg + "</svg>"
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
