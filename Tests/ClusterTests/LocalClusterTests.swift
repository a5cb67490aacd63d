import Foundation
import Glibc
import Testing

/// The cluster tests' own harness: clusters started at once draw their ports independently.
@Suite struct LocalClusterTests {
    /// A listening socket on a port of the range clusters draw from, held until closed.
    final class HeldPort {
        let fd: Int32
        let port: Int

        init() throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            self.fd = fd
            guard fd >= 0 else { throw ClusterError("socket: \(String(cString: strerror(errno)))") }
            for _ in 0..<100 {
                let p = LocalCluster.drawPort()
                let bound = withLoopbackAddress(port: p) { bind(fd, $0, $1) }
                if bound == 0 && listen(fd, 1) == 0 {
                    port = p
                    return
                }
            }
            close(fd)
            throw ClusterError("no free port to hold in 100 draws")
        }

        deinit { close(fd) }
    }

    @Test func aClusterWhosePortIsTakenAtItsFirstStartStartsOnAnother() async throws {
        let held = try HeldPort()
        let c = LocalCluster(port: held.port)
        defer { c.stopNow() }
        try await c.start(nodes: ["dgx01"])
        #expect(c.port != held.port)
        let job = try await c.submit(c.job(c.sh("true"), gpus: 1))
        #expect(try await c.waitForJob(job.id, in: [.completed], timeout: 30).state == .completed)
    }

    @Test func aClusterGivenAnotherClustersPortIsNotFooledByItsController() async throws {
        let first = LocalCluster()
        defer { first.stopNow() }
        try await first.start(nodes: ["dgx01"])
        // The first cluster's controller answers on this port: its health check passes, its token does not.
        let second = LocalCluster(port: first.port)
        defer { second.stopNow() }
        try await second.start(nodes: ["dgx02"])
        #expect(second.port != first.port)
        #expect(second.adminToken != first.adminToken)
        let job = try await second.submit(second.job(second.sh("true"), gpus: 1))
        #expect(try await second.waitForJob(job.id, in: [.completed], timeout: 30).state == .completed)
    }
}
