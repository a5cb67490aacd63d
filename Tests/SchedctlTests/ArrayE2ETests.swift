import Foundation
import RasporedAPI
import Testing

@testable import Scheduler

/// schedctl against the real controller: an array from an sbatch script, a dependent job, and the array seen
/// and cancelled as a Slurm user expects.
@Suite(.serialized) struct ArrayE2ETests {
    /// ana's sweep (job 1: an sbatch array 0-9%4 of 8-GPU tasks) and report (job 11: one GPU, afterok:1),
    /// both from scripts. Returns ana's token and schedctl's answers to both.
    static func submitSweepAndReport(_ c: LiveController) throws -> (
        ana: String, sweep: CLI.Result, report: CLI.Result
    ) {
        let ana = try c.token(for: "ana")
        let work = Scratch.root.appendingPathComponent("schedctl-array-e2e-\(UUID())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        try """
        #!/bin/bash
        #SBATCH --job-name=sweep --gres=gpu:8 -A ivi
        #SBATCH --array=0-9%4
        #SBATCH --output=sweep-%A_%a.out
        python sweep.py --index $SLURM_ARRAY_TASK_ID
        """.write(to: work.appendingPathComponent("sweep.sh"), atomically: true, encoding: .utf8)
        let sweep = try c.schedctl(["submit", "sweep.sh"], token: ana, in: work)
        try "#!/bin/bash\n#SBATCH -d afterok:1 -A ivi --gres=gpu:1\npython report.py\n".write(
            to: work.appendingPathComponent("report.sh"), atomically: true, encoding: .utf8)
        let report = try c.schedctl(["submit", "--parsable", "report.sh"], token: ana, in: work)
        return (ana, sweep, report)
    }

    @Test func anArrayAndAJobDependingOnItAreSubmittedFromScripts() throws {
        let c = try LiveController()
        let (_, sweep, report) = try Self.submitSweepAndReport(c)
        #expect(sweep.status == 0, "\(sweep.stderr)")
        #expect(sweep.stdout == "Submitted job 1 (array 1_[0-9%4], 10 tasks)\n")
        #expect(report.stdout == "11\n", "\(report.stderr)")
    }

    @Test func aDependencyOnATaskTheArrayDoesNotHaveIsRefused() throws {
        let c = try LiveController()
        let ana = try Self.submitSweepAndReport(c).ana
        let refused = try c.schedctl(
            ["submit", "--gpus", "1", "--account", "ivi", "--dependency", "afterok:1_10", "--", "true"], token: ana)
        #expect(refused.status == 1)
        #expect(refused.stderr == "schedctl: error: dependency afterok:1_10: array 1 has no task 10 (tasks 0-9)\n")
    }

    @Test func queueCollapsesTheWaitingTasksAndSaysWhyEachWaits() throws {
        let c = try LiveController()
        let ana = try Self.submitSweepAndReport(c).ana
        let queue = try c.schedctl(["queue"], token: ana)
        let lines = queue.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 8, "\(queue.stdout)")
        #expect(lines[7].hasPrefix("Queue order: "))
        #expect(lines[1].hasPrefix("1_0 "))
        #expect(lines[1].contains("running"))
        #expect(lines[5].hasPrefix("1_[4-9%4] "))
        #expect(lines[5].contains("array 1 runs at most 4 tasks at once (4 running)"))
        #expect(lines[6].hasPrefix("11 "))
        #expect(lines[6].contains("waiting for all 10 tasks of array 1"))
    }

    @Test func queueJSONListsEachTaskWithTheArraysOutput() throws {
        let c = try LiveController()
        let ana = try Self.submitSweepAndReport(c).ana
        let each = try decodeJSON(JobList.self, try c.schedctl(["queue", "--json"], token: ana)).jobs
        #expect(each.map { $0.displayId ?? "" } == (0...9).map { "1_\($0)" } + ["11"])
        #expect(each.allSatisfy { $0.arrayJobId == nil || $0.output == "sweep-%A_%a.out" })
    }

    @Test func showGivesATaskTheWholeArrayOrADependency() throws {
        let c = try LiveController()
        let ana = try Self.submitSweepAndReport(c).ana
        let one = try c.schedctl(["show", "1_7"], token: ana)
        #expect(one.stdout.hasPrefix("Job:             1_7 (sweep)"), "\(one.stdout)")
        #expect(one.stdout.contains("Array:           task 7 of array 1 (0-9%4, 10 tasks); job id 8"))
        let whole = try decodeJSON(JobList.self, try c.schedctl(["show", "1", "--json"], token: ana))
        #expect(whole.jobs.count == 10)
        #expect(try c.schedctl(["show", "11"], token: ana).stdout.contains("Dependency:      afterok:1"))
        #expect(try c.schedctl(["show", "1_x"], token: ana).status == 2)
    }

    @Test func cancellingATaskAndThenTheArrayCancelsTheJobThatWaitedForIt() throws {
        let c = try LiveController()
        let ana = try Self.submitSweepAndReport(c).ana
        let task = try c.schedctl(["cancel", "1_9"], token: ana)
        #expect(task.stdout == "Cancelled job 1_9\n")
        let array = try c.schedctl(["cancel", "1"], token: ana)
        #expect(
            array.stdout
                == "Cancelled array 1: 6 tasks cancelled; cancel requested for 4 running tasks, which stop once their processes are gone\n",
            "\(array.stderr)")
        // One cancelled task was enough for the dependent job: its dependency can never hold.
        let dependent = try decodeJSON(JobView.self, try c.schedctl(["show", "11", "--json"], token: ana))
        #expect(dependent.state == .cancelled)
        #expect(
            dependent.endReason
                == "dependency can never be satisfied: 1 of the 10 tasks of array 1 did not complete successfully (1 cancelled) (afterok:1)"
        )
    }
}
