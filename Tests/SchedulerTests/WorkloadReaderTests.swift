import Foundation
import Testing

@testable import Scheduler

/// The readers on slices of the published traces (Tests/Fixtures/traces, see their PROVENANCE.md);
/// every expected value below is read off the fixture rows.
@Suite struct WorkloadReaderTests {
    static let philly = repoFile("Tests/Fixtures/traces/philly/philly-slice.csv")
    static let openb = repoFile("Tests/Fixtures/traces/alibaba-openb/openb_pod_list_default-slice.csv")
    static let openbSpec = repoFile("Tests/Fixtures/traces/alibaba-openb/openb_pod_list_gpuspec33-slice.csv")

    /// Seconds of a clock time of day.
    static func clock(_ h: Double, _ m: Double, _ s: Double) -> Double { h * 3600 + m * 60 + s }

    @Test func phillyRowsBecomeJobsInArrivalOrder() throws {
        let w = try PhillyTrace.read(path: Self.philly)
        #expect(w.jobs.count == 13)
        #expect(w.notReplayable.isEmpty)
        // Row 3 (2017-09-29 07:58:32) is the earliest, so the trace starts there.
        let start = Self.clock(7, 58, 32)
        #expect(
            w.jobs.map(\.id) == [3, 12, 11, 13, 9, 10, 2, 4, 6, 7, 5, 8, 1].map { "philly-\($0)" })
        let byId = Dictionary(uniqueKeysWithValues: w.jobs.map { ($0.id, $0) })
        // Row 1: 2017-10-09 07:01:55 (10 days after 09-29), 66 s, 1 GPU, VC 11cb48.
        #expect(byId["philly-1"]!.submit == 10 * 86400 + Self.clock(7, 1, 55) - start)
        #expect(byId["philly-1"]!.duration == 66)
        #expect(byId["philly-1"]!.request == ResourceRequest(gpus: 1, account: "11cb48"))
        #expect(byId["philly-3"]!.submit == 0)
        #expect(byId["philly-3"]!.duration == 860_662)
        // Row 11: 2017-10-07 01:11:39, 193,256 s on 8 GPUs, VC ee9e8c.
        #expect(byId["philly-11"]!.submit == 8 * 86400 + Self.clock(1, 11, 39) - start)
        #expect(byId["philly-11"]!.request == ResourceRequest(gpus: 8, account: "ee9e8c"))
        #expect(byId["philly-11"]!.duration == 193_256)
        // Row 12: 2017-10-06 23:27:26, 4 GPUs; row 13: 2017-10-09 05:51:27, 13 s on 2 GPUs.
        #expect(byId["philly-12"]!.submit == 7 * 86400 + Self.clock(23, 27, 26) - start)
        #expect(byId["philly-12"]!.request.gpus == 4)
        #expect(byId["philly-13"]!.request == ResourceRequest(gpus: 2, account: "11cb48"))
        #expect(byId["philly-13"]!.duration == 13)
        #expect(w.jobs.allSatisfy { $0.timeLimit == nil && $0.user == nil && $0.request.cpus == nil })
        // Σ gpus × duration over the 13 rows = Σ gpu_time.
        let gpuTime = [66, 2951, 860_662, 2759, 2766, 2775, 2802, 64, 2859, 2987, 1_546_048, 789_124, 26].reduce(0, +)
        #expect(w.gpuSeconds == Double(gpuTime))
    }

    @Test func phillyErrorsNameTheLine() {
        let header = "timestamp,duration,num_gpus,gpu_time,cluster\n"
        let cases = [
            (
                "2017-10-09 07:01:55,66.0,1,66.0,a\n2017-13-01 00:00:00,1,1,1,a\n",
                "philly.csv:3: timestamp: '2017-13-01 00:00:00' is not a time such as 2017-10-09 07:01:55"
            ),
            (
                "2017-10-09 07:01:55,66.0,2,66.0,a\n",
                "philly.csv:2: gpu_time: '66.0' is not duration × num_gpus (132.0)"
            ),
            ("2017-10-09 07:01:55,66.0,one,66.0,a\n", "philly.csv:2: num_gpus: 'one' is not a whole number"),
        ]
        for (body, message) in cases {
            do {
                _ = try PhillyTrace.parse(header + body)
                Issue.record("expected: \(message)")
            } catch {
                #expect(error.description == message)
            }
        }
    }

    @Test func epochSecondsAgreeWithFoundation() {
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        f.timeZone = TimeZone(identifier: "UTC")
        f.locale = Locale(identifier: "en_US_POSIX")
        for text in ["2017-09-04 10:30:41", "2017-12-22 08:02:11", "2000-02-29 23:59:59", "1970-01-01 00:00:00"] {
            #expect(PhillyTrace.epochSeconds(text) == Int64(f.date(from: text)!.timeIntervalSince1970))
        }
    }

    @Test func openbKeepsWholeGPUAndCPUPodsAndCountsTheRest() throws {
        let w = try AlibabaOpenbTrace.read(path: Self.openb)
        // 15 pods: 0001, 0003, 0011 ask for 460 milli-GPU; 0061 is Pending with no scheduled_time.
        #expect(w.notReplayable == [AlibabaOpenbTrace.fractionalGPU: 3, AlibabaOpenbTrace.neverScheduled: 1])
        #expect(w.jobs.count == 11)
        #expect(w.jobs.count + w.notReplayableCount == 15)
        #expect(
            w.jobs.map(\.id)
                == [
                    "0000", "0002", "0004", "0005", "0006", "0007", "0008", "0009", "0010", "0016", "0017",
                ].map { "openb-pod-\($0)" })
        let byId = Dictionary(uniqueKeysWithValues: w.jobs.map { ($0.id, $0) })
        // openb-pod-0000,12000,16384,1,1000,,LS,Running,0,12537496,0
        #expect(
            byId["openb-pod-0000"]!
                == TraceJob(
                    id: "openb-pod-0000", submit: 0, duration: 12_537_496,
                    request: ResourceRequest(gpus: 1, cpus: 12, memory: .gibibytes(16))))
        // openb-pod-0005,20000,65536,0,0,,LS,Running,2759674,12902960,2759676: CPU-only.
        #expect(
            byId["openb-pod-0005"]!
                == TraceJob(
                    id: "openb-pod-0005", submit: 2_759_674, duration: 12_902_960 - 2_759_676,
                    request: ResourceRequest(gpus: 0, cpus: 20, memory: .gibibytes(64))))
        // openb-pod-0006,4000,16384,1,1000,,LS,Running,3019330,11815163,3019331
        #expect(byId["openb-pod-0006"]!.duration == 11_815_163 - 3_019_331)
        #expect(byId["openb-pod-0006"]!.request.cpus == 4)
        // openb-pod-0017,88000,327680,8,1000,,Burstable,Succeeded,9437497,10769854,9437497
        #expect(
            byId["openb-pod-0017"]!
                == TraceJob(
                    id: "openb-pod-0017", submit: 9_437_497, duration: 10_769_854 - 9_437_497,
                    request: ResourceRequest(gpus: 8, cpus: 88, memory: .gibibytes(320))))
        #expect(w.provenance.contains("11 of 15 pods replayable, 4 not; 10 still Running"))
    }

    @Test func openbGPUSpecBecomesTheModelOrIsCountedWhenItNamesAlternatives() throws {
        let w = try AlibabaOpenbTrace.read(path: Self.openbSpec)
        // 0009: whole GPU, V100M16|V100M32; 0012: whole GPU, T4; 0021: 440 milli-GPU with five alternatives.
        #expect(w.notReplayable == [AlibabaOpenbTrace.modelAlternatives: 1, AlibabaOpenbTrace.fractionalGPU: 1])
        #expect(
            w.jobs == [
                TraceJob(
                    id: "openb-pod-0012", submit: 6_588_193, duration: 10_959_245 - 6_595_531,
                    request: ResourceRequest(gpus: 1, gpuModel: "T4", cpus: 8, memory: .gibibytes(32)))
            ])
    }

    @Test func openbVariantsWithoutTimesAreRefused() {
        let text = "name,cpu_milli,memory_mib,num_gpu,gpu_milli\nopenb-pod-0000,12000,16384,1,1000\n"
        do {
            _ = try AlibabaOpenbTrace.parse(text, file: "openb_pod_list_multigpu20.csv")
            Issue.record("expected an error")
        } catch {
            #expect(
                error.description.hasPrefix(
                    "openb_pod_list_multigpu20.csv:1: no creation_time/deletion_time/scheduled_time columns"))
        }
    }

    @Test func readTraceSurvivesTheProjectFormat() throws {
        let w = try AlibabaOpenbTrace.read(path: Self.openb)
        let back = try TraceCSV.parse(TraceCSV.write(w))
        #expect(back.jobs == w.jobs)
    }
}
