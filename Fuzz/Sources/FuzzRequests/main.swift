import CFuzzer
import Foundation
import RasporedAPI
import Scheduler

/// The platform's cluster (cluster.yaml, read once), whose engine resolves and places every request the
/// readers accept: the arithmetic on a hostile request's numbers runs, not only its parsing.
let cluster: ClusterState = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    let spec = try! ClusterSpec.load(file: root.appendingPathComponent("cluster.yaml").path)
    return ClusterState(spec: spec)
}()

/// One input: its first byte picks a reader, the rest is what a client sent. A crash (a trap, an overflow,
/// an out-of-bounds read) is a finding; refusals are the readers doing their job.
func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let selector = data[0]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    switch selector % 4 {
    case 0:
        // POST /v1/jobs and ?dryRun=true: the body, then the engine's placement.
        guard let root = try? ConfigNode.parseJSONObject(bytes), let s = try? SubmitRequest(config: root) else {
            return 0
        }
        _ = cluster.place(s.request)
        _ = s.begin?.resolve(now: 1_800_000_000)
        _ = try? JSONEncoder().encode(s)
    case 1:
        // POST /v1/reservations.
        guard let root = try? ConfigNode.parseJSONObject(bytes),
            let r = try? ReservationRequest(config: root)
        else { return 0 }
        _ = r.start.resolve(now: 1_800_000_000)
        _ = r.end?.resolve(now: 1_800_000_000)
    case 2:
        // The text forms inside fields and flags.
        let text = String(decoding: bytes, as: UTF8.self)
        _ = TimeSpan(parsing: text)
        _ = TimeSpan.isTooLong(text)
        _ = ByteSize(parsing: text)
        _ = RangeList.expandHosts(text)
        _ = RangeList.expandIntegers(text)
        _ = try? ArraySpec(parsing: text)
        _ = try? JobDependency(parsing: text)
        _ = try? JobReference(parsing: text)
        _ = ReservationTime(parsing: text, timeZone: TimeZone(identifier: "UTC")!)
        _ = TerminalText.escaped(text)
        _ = try? WarningSignal(parsing: text)
        _ = try? SignalName.number(text)
        if let hosts = RangeList.expandHosts(text, limit: 4096) { _ = HostList.compact(hosts) }
    default:
        // Any body read strictly, the bodies decoded by type (tokens, drains), and a job's update and signal.
        guard let root = try? ConfigNode.parseJSONObject(bytes) else { return 0 }
        if let token = try? JSONDecoder().decode(TokenRequest.self, from: Data(bytes)),
            let again = try? ConfigNode.parseJSONObject(Array(JSONEncoder().encode(token)))
        {
            _ = root.unknownField(comparedWith: again)
            _ = token.problem
        }
        if let drain = try? JSONDecoder().decode(DrainRequest.self, from: Data(bytes)) { _ = drain.problem }
        // POST /v1/jobs/{id}/update and /signal.
        if let u = try? JobUpdateRequest(config: root) {
            _ = u.begin?.resolve(now: 1_800_000_000)
            _ = try? JSONEncoder().encode(u)
        }
        _ = try? SignalRequest(config: root)
    }
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzz(data, size) })
