import RasporedAPI
import Testing

@testable import Agent

@Suite struct SmallPartsTests {
    @Test(arguments: [
        ("raspored-%j.out", "raspored-42.out"), ("%x/%j-%N.log", "train/42-dgx01.log"), ("100%%-%j", "100%-42"),
        ("odd%q", "odd%q"), ("trailing%", "trailing%"),
    ])
    func outputTemplates(_ template: String, _ expected: String) {
        #expect(JobEnvironment.expand(template, jobId: "42", name: "train", host: "dgx01") == expected)
    }

    @Test func singleNodeJobsGetNoRendezvousVariables() {
        var r = LaunchRequest(jobId: "1", name: "n", command: ["true"], workingDirectory: "/")
        r.cpus = [0, 1, 112, 113]
        r.coreCount = 2
        let env = JobEnvironment.variables(for: r, host: "dgx01")
        #expect(env["MASTER_ADDR"] == nil)
        #expect(env["PET_NNODES"] == nil)
        #expect(env["RASPORED_NODE_RANK"] == nil)
        #expect(env["OMP_NUM_THREADS"] == "2")
        #expect(env["RASPORED_NODELIST"] == "dgx01")
        #expect(env["CUDA_VISIBLE_DEVICES"] == "")
        #expect(env["NVIDIA_VISIBLE_DEVICES"] == "void")
        #expect(env["NCCL_IB_HCA"] == nil)
    }

    @Test func masterPortIsTheSameOnEveryNodeAndInRange() {
        let port = JobEnvironment.defaultMasterPort(jobId: "4711")
        #expect(port == JobEnvironment.defaultMasterPort(jobId: "4711"))
        #expect((29_500..<39_500).contains(port))
        #expect(port != JobEnvironment.defaultMasterPort(jobId: "4712"))
    }

    @Test(arguments: [
        ("NVIDIA H100 80GB HBM3", "H100"), ("Tesla V100-SXM2-16GB", "V100"), ("NVIDIA H200", "H200"),
        ("NVIDIA A100-SXM4-80GB", "A100"),
    ])
    func shortModelNames(_ marketing: String, _ short: String) {
        #expect(NVIDIADeviceTable.shortName(fromMarketingName: marketing) == short)
    }

    @Test func idListsRenderAsRanges() {
        #expect(NodeCheck.ranges([3, 0, 1, 2, 8, 10, 11]) == "0-3,8,10-11")
        #expect(NodeCheck.ranges([]) == "none")
    }

    @Test func jobIdsThatWouldEscapeTheStateDirectoryAreInvalid() {
        #expect(StateDirectory.isValidJobId("4711.0_a-b"))
        for bad in ["", "../x", "a/b", ".hidden", "a b", "ä"] { #expect(!StateDirectory.isValidJobId(bad), "\(bad)") }
    }
}
