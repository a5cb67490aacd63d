import Foundation
import RasporedAPI
import Scheduler
import Testing

extension ClusterTests {
    /// A job array of 4 tasks, at most 2 at once, whose tasks print Slurm's array variables, and a job
    /// `afterok` on the array: real processes on real agents.
    @Test func anArraysTasksRunTwoAtATimeAndTheJobAfterThemRunsLast() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        try await c.start(nodes: ["dgx01", "dgx02"])
        // Each task marks itself running while it runs, counts the running marks, and marks itself done.
        var array = c.job(
            c.sh(
                """
                mkdir -p running done; touch running/$SLURM_ARRAY_TASK_ID
                echo "task=$SLURM_ARRAY_TASK_ID array=$SLURM_ARRAY_JOB_ID count=$SLURM_ARRAY_TASK_COUNT \
                min=$SLURM_ARRAY_TASK_MIN max=$SLURM_ARRAY_TASK_MAX together=$(ls running | wc -l)"
                sleep 1; rm running/$SLURM_ARRAY_TASK_ID; touch done/$SLURM_ARRAY_TASK_ID
                """), gpus: 1, name: "sweep")
        array.array = try ArraySpec(parsing: "0-3%2")
        array.output = "sweep-%A_%a.out"
        let first = try await c.submit(array)
        let a = try #require(first.arrayJobId)
        var after = c.job(c.sh("echo done=$(ls done | wc -l) running=$(ls running | wc -l)"), gpus: 1, name: "after")
        after.dependency = try JobDependency(parsing: "afterok:\(a)")
        let last = try await c.submit(after)
        #expect(last.state == .pending)

        let ended = try await c.waitForJob(last.id, in: [.completed, .failed, .cancelled], timeout: 90)
        #expect(ended.state == .completed, "\(ended.endReason ?? "")")
        #expect(try await c.output(last.id) == "done=4 running=0\n")
        let tasks: JobList = try await c.get("/v1/jobs?array=\(a)", token: c.adminToken)
        #expect(tasks.jobs.map { $0.displayId ?? "" } == (0...3).map { "\(a)_\($0)" })
        for t in tasks.jobs {
            let index = try #require(t.arrayTaskId)
            #expect(t.state == .completed)
            let out = try await c.output(t.id)
            #expect(out.hasPrefix("task=\(index) array=\(a) count=4 min=0 max=3 together="), "\(out)")
            // Never more than two tasks at once.
            let together = Int(out.split(separator: "=").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "")
            #expect(together.map { (1...2).contains($0) } == true, "\(out)")
            // %A and %a named the task's own file in its working directory.
            let file = try String(contentsOfFile: "\(c.dir)/work/sweep-\(a)_\(index).out", encoding: .utf8)
            #expect(file == out)
            // The job after the array started once every task had ended.
            #expect(try #require(ended.startTime) >= (try #require(t.endTime)))
        }
    }
}
