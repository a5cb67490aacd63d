import Crypto
import Foundation

/// Job-scoped credentials (`rsj_…`): what `srun` inside a job presents to start steps in that job.
///
/// A credential is an HMAC-SHA256, under the controller's step key, of the run id it was issued for
/// (`42`, or `42.1` after a requeue). The controller accepts it only on the step routes of that job, and
/// only while that run is the job's current, running run: it gives nothing beyond starting and listing the
/// job's steps, and it dies with the run. No list of credentials is kept.
///
/// The key is 256 random bits in `step.key` beside the state database (0600, in the 0700 state directory),
/// made at the first start, so credentials outlive a controller restart as their jobs do.
struct StepCredential: Sendable {
    static let prefix = "rsj_"
    static let keyFileName = "step.key"

    private let key: SymmetricKey

    init(key: SymmetricKey) { self.key = key }

    /// The key kept beside the database at `storePath`, made when missing; a fresh key in memory alone for
    /// an in-memory store or a directory that cannot hold it (credentials then die with the controller).
    static func load(besideStoreAt storePath: String) -> StepCredential {
        let directory = URL(fileURLWithPath: storePath).deletingLastPathComponent()
        let file = directory.appendingPathComponent(keyFileName).path
        if storePath.hasPrefix("/"), FileManager.default.fileExists(atPath: directory.path) {
            if let data = FileManager.default.contents(atPath: file), data.count == 32 {
                return StepCredential(key: SymmetricKey(data: data))
            }
            let key = SymmetricKey(size: .bits256)
            let bytes = key.withUnsafeBytes { Data($0) }
            let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if fd >= 0 {
                let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                close(fd)
                if written == 32 { return StepCredential(key: key) }
                unlink(file)
            }
        }
        return StepCredential(key: SymmetricKey(size: .bits256))
    }

    /// The credential for run `runId`.
    func issue(runId: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("raspored-step:\(runId)".utf8), using: key)
        let text = Data(mac).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return Self.prefix + text
    }

    /// Whether `secret` is run `runId`'s credential (compared in constant time).
    func verify(_ secret: String, runId: String) -> Bool {
        let expected = Array(issue(runId: runId).utf8)
        let given = Array(secret.utf8)
        guard expected.count == given.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(expected, given) { difference |= a ^ b }
        return difference == 0
    }
}
