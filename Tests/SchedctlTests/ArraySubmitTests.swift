import Foundation
import RasporedAPI
import Testing

@testable import SchedctlCore
@testable import Scheduler

/// `--array` and `--dependency`: as flags, `#RASPORED` and `#SBATCH` lines (every spelling), job files,
/// on the wire, and how arrays read in `submit`, `queue` and `cancel`.
@Suite struct ArraySubmitTests {
    func parse(_ text: String) throws -> JobScript { try JobScript.parse(text, file: "sweep.sh") }

    @Test func flagsMapToTheRequestAndGoOverTheWireAsText() throws {
        let (r, _) = try SubmitCommand.parse([
            "--gpus", "1", "--array", "0-15:4%2", "--dependency", "afterok:12:13,afterany:14_2", "--", "python", "t.py",
        ]).submission(cwd: "/home/ana")
        #expect(r.array == (try ArraySpec(parsing: "0-12:4%2")))
        #expect(r.dependency?.description == "afterok:12:13,afterany:14_2")
        let json = String(decoding: try JSONEncoder().encode(r), as: UTF8.self)
        #expect(json.contains(#""array":"0-12:4%2""#))
        #expect(json.contains(#""dependency":"afterok:12:13,afterany:14_2""#))
        #expect(try SubmitRequest.parse(json: json) == r)
    }

    @Test func badFlagValuesNameTheFlag() throws {
        #expect {
            try SubmitCommand.parse(["--array", "5-1", "--", "x"]).submission(cwd: "/")
        } throws: { "\($0)".hasPrefix("--array: '5-1' runs backwards") }
        #expect {
            try SubmitCommand.parse(["--dependency", "afterfoo:1", "--", "x"]).submission(cwd: "/")
        } throws: { "\($0)".hasPrefix("--dependency: 'afterfoo:1': unknown dependency type 'afterfoo'") }
    }

    @Test func sbatchAndRasporedLinesTakeArraysAndDependenciesInEverySpelling() throws {
        for text in [
            "#SBATCH --array=0-99%8\n#SBATCH --dependency=afterok:41\n",
            "#SBATCH --array 0-99%8 --dependency afterok:41\n",
            "#SBATCH -a 0-99%8\n#SBATCH -d afterok:41\n",
            "#SBATCH -a0-99%8 -dafterok:41\n",
            "#RASPORED --array 0-99%8 --dependency=afterok:41\n",
        ] {
            let s = try parse("#!/bin/bash\n" + text + "python sweep.py\n")
            #expect(s.options.array == (try ArraySpec(parsing: "0-99%8")), "\(text)")
            #expect(s.options.dependency == (try JobDependency(parsing: "afterok:41")), "\(text)")
            #expect(s.warnings.isEmpty, "\(text)")
            #expect(s.notes.isEmpty, "\(text)")
        }
    }

    @Test func aBadDirectiveNamesTheLine() throws {
        #expect(
            throws: JobScriptError(
                file: "sweep.sh", line: 3,
                message:
                    "#SBATCH --array: '9-1' runs backwards (an array is written 0-99, 1,3,5-7 or 0-15:4, with %N to cap running tasks)"
            )
        ) {
            try parse("#!/bin/bash\n#SBATCH -N 1\n#SBATCH --array=9-1\n")
        }
        #expect {
            try parse("#RASPORED --dependency afterok:x\n")
        } throws: { "\($0)".hasPrefix("sweep.sh:1: #RASPORED --dependency: 'afterok:x'") }
    }

    @Test func flagsOverrideTheScriptsArrayAndAJobFileTakesBoth() throws {
        let dir = Scratch.root.appendingPathComponent("schedctl-array-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = dir.appendingPathComponent("sweep.sh").path
        try "#!/bin/bash\n#SBATCH --array=0-9 --dependency=afterany:3\necho $SLURM_ARRAY_TASK_ID\n".write(
            toFile: script, atomically: true, encoding: .utf8)
        let (r, _) = try SubmitCommand.parse(["--array", "1,3", script]).submission(cwd: dir.path)
        #expect(r.array?.indices == [1, 3])
        #expect(r.dependency?.description == "afterany:3")
        let file = dir.appendingPathComponent("job.yaml").path
        try "gpus: 1\narray: 0-3%2\ndependency: afterok:7?afternotok:8\ncommand: [python, t.py]\n".write(
            toFile: file, atomically: true, encoding: .utf8)
        let (j, _) = try SubmitCommand.parse(["--file", file]).submission(cwd: dir.path)
        #expect(j.array?.description == "0-3%2")
        #expect(j.dependency?.anyOf == true)
        let (over, _) = try SubmitCommand.parse(["--file", file, "--array", "5"]).submission(cwd: dir.path)
        #expect(over.array?.indices == [5])
        #expect(over.dependency == j.dependency)
    }

    /// A task as the controller shows it.
    func task(_ id: Int64, _ array: Int64, _ index: Int, _ state: JobState, reason: String? = nil) -> JobView {
        var j = Job(
            id: id, name: "sweep", user: "ana", account: "ivi", partition: "gpu", request: ResourceRequest(gpus: 1),
            timeLimit: .hours(1), state: state, submitted: .seconds(0), command: ["x"], workdir: "/",
            array: ArrayTask(
                arrayJobId: array, taskId: index, minTask: 0, maxTask: 9, taskCount: 10, step: 1, limit: 2,
                indices: "0-9"))
        j.pendingReason = reason
        return JobView(j)
    }

    @Test func queueShowsTasksAsSlurmDoesAndFoldsWaitingOnes() {
        let capped = "array 1 runs at most 2 tasks at once (2 running)"
        let jobs =
            [task(1, 1, 0, .running), task(2, 1, 1, .running)]
            + (2...9).map { task(Int64($0) + 1, 1, $0, .pending, reason: capped) }
        let folded = QueueCommand.text(jobs, now: 0)
        let lines = folded.split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(lines[1].hasPrefix("1_0 "))
        #expect(lines[2].hasPrefix("1_1 "))
        #expect(lines[3].hasPrefix("1_[2-9%2] "))
        #expect(lines[3].contains(capped))
        let each = QueueCommand.text(jobs, now: 0, eachTask: true).split(separator: "\n")
        #expect(each.count == 11)
        #expect(each[10].hasPrefix("1_9 "))
        // Different reasons are not folded together.
        var mixed = jobs
        mixed[2].pendingReason = "Not enough free GPUs"
        #expect(QueueCommand.text(mixed, now: 0).split(separator: "\n").count == 5)
    }

    /// What `submit` reads of the controller's answer: the fields it prints, decoded from a whole `JobView`.
    func submitted(_ view: JobView) throws -> String {
        let job = try JSONDecoder().decode(SubmitCommand.SubmittedJob.self, from: JSONEncoder().encode(view))
        #expect(job.id == view.id)
        return SubmitCommand.submitted(job)
    }

    @Test func submitAndCancelSayWhatHappenedToTheArray() throws {
        let first = task(1, 1, 0, .running)
        #expect(try submitted(first) == "Submitted job 1 (array 1_[0-9%2], 10 tasks)")
        let single = Job(
            id: 7, name: "one", user: "ana", account: "ivi", partition: "gpu", request: ResourceRequest(gpus: 1),
            timeLimit: .hours(1), state: .pending, submitted: .seconds(0), command: ["x"], workdir: "/")
        #expect(try submitted(JobView(single)) == "Submitted job 7")
        var cancelled = (0...9).map { task(Int64($0) + 1, 1, $0, $0 < 2 ? .running : .cancelled) }
        cancelled[0].stopRequested = "cancel"
        cancelled[1].stopRequested = "cancel"
        #expect(
            CancelCommand.line(array: .job(1), cancelled)
                == "Cancelled array 1: 8 tasks cancelled; cancel requested for 2 running tasks, which stop once their processes are gone"
        )
        #expect(CancelCommand.line(cancelled[4]) == "Cancelled job 1_4")
    }
}
