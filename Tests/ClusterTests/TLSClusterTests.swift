import AsyncHTTPClient
import Foundation
import RasporedAPI
import Testing

/// HTTPS end to end: schedulerd serving `--tls-cert`/`--tls-key`, an agent and schedctl trusting its CA, and
/// clients that do not trust it refused before any token is sent; plain HTTP beyond loopback refused by the
/// controller, schedctl and the agent alike unless `--allow-plain-http`.
@Suite(.serialized, .timeLimit(.minutes(3))) struct TLSClusterTests {
    func run(_ binary: String, _ arguments: [String], environment: [String: String] = [:]) throws -> LocalCluster.Tool {
        try LocalCluster.tool(binary, arguments, environment: environment)
    }

    @Test func anAgentAndSchedctlTrustingTheCARunAJobOverHTTPSAndOthersAreRefused() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        try c.serveHTTPS()
        let ca = try #require(c.certificates).caFile
        // The agent registers, heartbeats and ships output over HTTPS, trusting the CA (--ca-file).
        try await c.start(nodes: ["dgx01"])
        #expect(c.base.hasPrefix("https://"))
        #expect(c.agentBase.hasPrefix("https://"))
        let job = try await c.submit(c.job(c.sh("echo over-tls"), gpus: 1))
        let done = try await c.waitForJob(job.id, in: [.completed, .failed])
        #expect(done.state == .completed)
        #expect(done.exitCode == 0)
        #expect(try await c.output(job.id) == "over-tls\n")

        // schedctl trusting the CA through --ca-file, and through RASPORED_CA.
        let env = ["HOME": c.dir, "RASPORED_CONTROLLER": c.base, "RASPORED_TOKEN": c.adminToken]
        let logs = try run("schedctl", ["logs", "\(job.id)", "--ca-file", ca], environment: env)
        #expect(logs.status == 0, "\(logs.stderr)")
        #expect(logs.stdout == "over-tls\n", "\(logs.stderr)")
        let queue = try run("schedctl", ["queue", "--all"], environment: env.merging(["RASPORED_CA": ca]) { $1 })
        #expect(queue.status == 0, "\(queue.stderr)")
        #expect(queue.stdout.contains("completed"), "\(queue.stderr)")

        // schedctl trusting the system's store, or another CA: the handshake fails on the certificate.
        let other = try TestCertificates(in: c.dir, name: "other")
        for extra in [[], ["--ca-file", other.caFile]] {
            let refused = try run("schedctl", ["queue"] + extra, environment: env)
            #expect(refused.status == 2)
            #expect(refused.stdout.isEmpty)
            #expect(refused.stderr.contains("presented a certificate schedctl does not trust"), "\(refused.stderr)")
            #expect(refused.stderr.contains("--ca-file"))
        }

        // An HTTP client without the CA is refused as well.
        var request = HTTPClientRequest(url: c.base + "/healthz")
        request.method = .GET
        do {
            _ = try await c.client.execute(request, timeout: .seconds(10))
            Issue.record("a client that does not trust the CA was answered")
        } catch {
            #expect("\(error)".contains("CERTIFICATE_VERIFY_FAILED"), "\(error)")
        }
    }

    @Test func plainHTTPBeyondLoopbackIsRefusedUnlessAllowed() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        // schedulerd on every address without TLS: it exits before listening, saying what to give.
        c.controllerArguments = ["--listen", "0.0.0.0:\(c.port)"]
        do {
            try await c.startController()
            Issue.record("schedulerd served plain HTTP on 0.0.0.0")
        } catch {
            #expect("\(error)".contains("the controller exited (status 64)"), "\(error)")
            #expect("\(error)".contains("give --tls-cert FILE --tls-key FILE to serve HTTPS, or --allow-plain-http"))
        }
        #expect(!FileManager.default.fileExists(atPath: c.dir + "/state"))

        // A key that is not the certificate's: refused at start, naming the file.
        let tls = try TestCertificates(in: c.dir)
        let other = try TestCertificates(in: c.dir, name: "other")
        c.controllerArguments = ["--tls-cert", tls.certificateFile, "--tls-key", other.keyFile]
        do {
            try await c.startController()
            Issue.record("schedulerd served with another certificate's key")
        } catch {
            #expect("\(error)".contains("cannot serve HTTPS: \(other.keyFile): is not the private key of"), "\(error)")
        }

        // With --allow-plain-http it serves there (loopback included).
        c.controllerArguments = ["--listen", "0.0.0.0:\(c.port)", "--allow-plain-http"]
        try await c.startController()
        #expect(try await c.raw("GET", "/healthz", token: nil).status == 200)

        // Clients refuse an http:// controller on another machine before connecting (192.0.2.1: TEST-NET-1).
        let remote = "http://192.0.2.1:8420"
        let schedctl = try run("schedctl", ["queue", "--controller", remote, "--token", "rsp_x"])
        #expect(schedctl.status == 2, "\(schedctl.stderr)")
        #expect(schedctl.stderr.contains("give --allow-plain-http"), "\(schedctl.stderr)")
        let agent = try run(
            "schedagent", ["run", "--controller", remote, "--node", "dgx01", "--topology", LocalCluster.topology])
        #expect(agent.status == 64, "\(agent.stderr)")
        #expect(agent.stderr.contains("give --allow-plain-http"), "\(agent.stderr)")
    }
}
