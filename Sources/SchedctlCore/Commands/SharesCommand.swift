import ArgumentParser
import Foundation
import RasporedAPI
import Scheduler

/// `schedctl shares`: each account's fair-share standing and limits consumed, as the scheduler holds them now
/// (sshare).
struct SharesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shares",
        abstract: "Show each account's share, decayed usage, fair-share factor and limits consumed, as scheduled.",
        discussion: """
            The numbers the queue's priority reads now, not a second computation: SHARE is cluster.yaml's share \
            and its normalised part (among siblings, times the parent's); USAGE the account's part of all decayed \
            GPU usage (usage loses half its weight each half-life) with its decayed GPU-hours; FACTOR is \
            2^(-usage/share), 1 for an account that used nothing, 0.5 at exactly its share. GPUS, GPU-HOURS (this \
            limit period) and STORAGE are in use over the account's limits ('-' for none). Fair share orders the \
            queue only under the fairshare policy.
            """)

    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "The controller's answer as JSON.") var json = false

    func run() async throws {
        let list: ShareList = try await connection.client().get("/v1/shares")
        if json { return try printJSON(list) }
        print(Self.table(list))
    }

    static func table(_ list: ShareList) -> String {
        var t = Table(
            "ACCOUNT", "SHARE", "NORM SHARE", "USAGE", "DECAYED GPU-H", "FACTOR", "GPUS", "GPU-HOURS", "STORAGE")
        for a in list.accounts {
            let hours =
                a.gpuHourLimit.map {
                    String(format: "%.1f/%g per %@", a.periodGPUSeconds / 3600, $0, humanDuration(a.periodSeconds))
                } ?? "-"
            t.add([
                String(repeating: "  ", count: a.depth) + a.account, String(format: "%g", a.rawShare),
                String(format: "%.4f", a.share), String(format: "%.4f", a.usage),
                String(format: "%.2f", a.decayedGPUSeconds / 3600), String(format: "%.4f", a.factor),
                a.gpuLimit.map { "\(a.gpusInUse)/\($0)" } ?? "\(a.gpusInUse)", hours,
                a.storageLimitBytes.map {
                    "\(ByteSize(bytes: a.storageInUseBytes))/\(ByteSize(bytes: $0))"
                } ?? "-",
            ])
        }
        let policy =
            list.policy == QueuePolicyName.fairshare.rawValue
            ? "fair share orders the queue (policy fairshare)"
            : "policy \(list.policy): fair share is computed but does not order the queue"
        return t.render() + "\nHalf-life \(humanDuration(list.halfLifeSeconds)); \(policy)"
    }
}
