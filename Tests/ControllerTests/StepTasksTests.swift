import RasporedAPI
import Scheduler
import Testing

/// How a step's tasks share a node's part of the job's allocation (`StepRequest.shares`): consecutive
/// slices of the cores, whole cores (every CPU of a core in one task), GPUs of their own only when asked.
struct StepTasksTests {
    /// Eight cores of two CPUs each (0 and 8 are one core's), as hwloc lists a node with SMT.
    let cores = (0..<8).map { [$0, $0 + 8] }
    let gpus = [0, 1, 2, 3, 4, 5, 6, 7]

    @Test func tasksWithGPUsOfTheirOwnGetConsecutiveGPUsAndAnEvenShareOfTheCores() throws {
        let step = StepRequest(command: ["train"], tasksPerNode: 4, gpusPerTask: 2)
        let shares = try #require(step.shares(gpus: gpus, cores: cores, node: "dgx01"))
        #expect(shares.map(\.gpus) == [[0, 1], [2, 3], [4, 5], [6, 7]])
        #expect(
            shares.map(\.cores) == [
                [[0, 8], [1, 9]], [[2, 10], [3, 11]], [[4, 12], [5, 13]], [[6, 14], [7, 15]],
            ])
    }

    @Test func withoutGPUsPerTaskEveryTaskSeesEveryGPUAndCoresPerTaskLeaveTheRestUnused() throws {
        let step = StepRequest(command: ["train"], tasksPerNode: 2, coresPerTask: 3)
        let shares = try #require(step.shares(gpus: [4, 5], cores: cores, node: "dgx01"))
        #expect(shares.map(\.gpus) == [[4, 5], [4, 5]])
        #expect(shares.map { $0.cores.map(\.first!) } == [[0, 1, 2], [3, 4, 5]])
        // An even share rounds down: 8 cores over 3 tasks are 2 each.
        let three = try #require(StepRequest(command: ["x"], tasksPerNode: 3).shares(gpus: [], cores: cores, node: "n"))
        #expect(three.map(\.cores.count) == [2, 2, 2])
        // A job without cores (an unbound stand-in) shares none.
        let none = try #require(StepRequest(command: ["x"], tasksPerNode: 3).shares(gpus: [], cores: [], node: "n"))
        #expect(none.allSatisfy { $0.cores.isEmpty })
    }

    @Test func whatDoesNotFitIsRefusedWithTheArithmetic() {
        func problem(_ step: StepRequest) -> String? { step.taskProblem(gpus: 8, cores: 8, node: "dgx01") }
        #expect(
            problem(StepRequest(command: ["x"], tasksPerNode: 3, gpusPerTask: 3))
                == "3 task(s) × 3 GPU(s) each need 9 GPUs; job's share of dgx01 has 8")
        #expect(
            problem(StepRequest(command: ["x"], tasksPerNode: 2, coresPerTask: 5))
                == "2 task(s) × 5 core(s) each need 10 cores; job's share of dgx01 has 8")
        #expect(
            problem(StepRequest(command: ["x"], tasksPerNode: 9))
                == "9 tasks need a core each; job's share of dgx01 has 8 (ask for more with -c)")
        #expect(StepRequest(command: ["x"], tasksPerNode: 9).shares(gpus: gpus, cores: cores, node: "dgx01") == nil)
        #expect(problem(StepRequest(command: ["x"], tasksPerNode: 8, gpusPerTask: 1, coresPerTask: 1)) == nil)
    }

    @Test func aStepsTaskFieldsAreBounded() {
        #expect(StepRequest(command: ["x"], tasksPerNode: 0).problem == "tasks per node are 1 to 256, not 0")
        #expect(StepRequest(command: ["x"], tasksPerNode: 257).problem == "tasks per node are 1 to 256, not 257")
        #expect(StepRequest(command: ["x"], gpusPerTask: 0).problem == "GPUs per task are 1 to 4096, not 0")
        #expect(StepRequest(command: ["x"], coresPerTask: 5000).problem == "cores per task are 1 to 4096, not 5000")
        #expect(
            StepRequest(command: ["bash"], pty: true, tasksPerNode: 2).problem
                == "a pty step runs one task, not 2 per node")
        #expect(StepRequest(command: ["x"], tasksPerNode: 256, gpusPerTask: 4096).problem == nil)
    }
}
