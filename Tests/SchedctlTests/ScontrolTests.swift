import Testing

@testable import SchedctlCore

/// `scontrol` in a job: host lists as Slurm's scontrol prints them, and everything else refused by name.
struct ScontrolTests {
    @Test func hostnamesExpandOneALineFromTheJobsListByDefault() throws {
        let env = ["SLURM_JOB_NODELIST": "dgx[01-03,05]"]
        #expect(try ScontrolCommand.answer(["show", "hostnames"], environment: env) == "dgx01\ndgx02\ndgx03\ndgx05")
        #expect(try ScontrolCommand.answer(["show", "hostnames", "a1,b[7-8]"], environment: env) == "a1\nb7\nb8")
        #expect(
            try ScontrolCommand.answer(["show", "hostlist", "dgx01,dgx02,dgx04"], environment: [:]) == "dgx[01-02,04]")
    }

    @Test func whatItCannotAnswerIsNamed() {
        func refusal(_ words: [String], _ env: [String: String] = [:]) -> String {
            do {
                _ = try ScontrolCommand.answer(words, environment: env)
                return ""
            } catch { return "\(error)" }
        }
        #expect(refusal(["show", "hostnames"]).contains("no host list given and SLURM_JOB_NODELIST is not set"))
        #expect(refusal(["show", "hostnames", "dgx[01-"]).contains("cannot read the host list 'dgx[01-'"))
        #expect(refusal(["show", "job", "5"]).contains("scontrol show job 5 is not here"))
        #expect(refusal(["update", "jobid=5"]).contains("schedctl show, hold, release, update"))
    }
}
