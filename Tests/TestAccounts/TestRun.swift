import Foundation

/// What marks the things a run of the tests makes, so that `scripts/test.sh` can tell afterwards that none of
/// them is left: `RASPORED_TEST_RUN` (set by the script; absent when `swift test` runs alone) is in the name of
/// every cgroup the tests make, and in the environment of every process they start (which inherits it).
public enum TestRun {
    /// The run's id, or nil outside `scripts/test.sh`.
    public static let id = ProcessInfo.processInfo.environment["RASPORED_TEST_RUN"].flatMap { $0.isEmpty ? nil : $0 }

    /// A new cgroup name for a test's subtree: `raspored-test-RUN-` (or `raspored-test-`) and `unique`.
    public static func cgroupName(_ unique: String) -> String {
        "raspored-test-" + (id.map { $0 + "-" } ?? "") + unique
    }
}
