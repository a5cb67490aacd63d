import Foundation
import Glibc
import Testing

/// The controller's listeners against slow and idle clients, on a real schedulerd: a slow head or body is
/// cut off, a full listener makes further clients wait rather than fail the controller, and the agents'
/// own listener answers whatever the users' one holds.
@Suite(.serialized) struct ConnectionClusterTests {
    /// A TCP connection to loopback `port`, with receives that give up after `timeout` seconds.
    final class RawConnection {
        private(set) var fd: Int32

        init(port: Int, timeout: Int = 10) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            let connected = withLoopbackAddress(port: port) { connect(fd, $0, $1) }
            guard connected == 0 else {
                close(fd)
                throw ClusterError("cannot connect to 127.0.0.1:\(port): errno \(errno)")
            }
            var limit = timeval(tv_sec: timeout, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        }

        deinit { hangUp() }

        /// Closes the connection now.
        func hangUp() {
            guard fd >= 0 else { return }
            shutdown(fd, Int32(SHUT_RDWR))
            close(fd)
            fd = -1
        }

        func send(_ text: String) {
            let bytes = Array(text.utf8)
            _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }

        /// What the server sends until it closes the connection: nil when the receive timed out first.
        func readUntilClosed() -> String? {
            var out: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n == 0 { return String(decoding: out, as: UTF8.self) }
                if n < 0 { return errno == ECONNRESET ? String(decoding: out, as: UTF8.self) : nil }
                out += buffer[0..<n]
            }
        }

        /// `read` again while it times out, up to five times.
        static func retrying(_ read: () -> String?) -> String? {
            for _ in 0..<5 { if let r = read() { return r } }
            return nil
        }

        /// The first response the server sends, or nil when none came before the receive timed out.
        func readResponse() -> String? {
            var out: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !String(decoding: out, as: UTF8.self).contains("\r\n\r\n") {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 { return nil }
                out += buffer[0..<n]
            }
            return String(decoding: out, as: UTF8.self)
        }
    }

    @Test func aSlowHeadOrBodyIsCutOffAndTheOpenFileLimitIsRaised() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        c.controllerArguments = ["--idle-timeout", "1s", "--body-timeout", "1s"]
        try await c.startController()

        // A head that never ends: closed, with nothing served.
        let head = try RawConnection(port: c.port)
        head.send("GET /healthz HTTP/1.1\r\nHost: x\r\n")
        #expect(head.readUntilClosed() == "")

        // A body that never ends: closed before the handler sees it whole.
        let body = try RawConnection(port: c.port)
        body.send(
            "POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"gpus\""
        )
        let answer = body.readUntilClosed()
        #expect(answer != nil)
        #expect(answer?.contains("201") != true)

        // Meanwhile, and after, the controller serves.
        #expect(try await c.raw("GET", "/healthz", token: nil).status == 200)

        // schedulerd raised its soft limit on open files to the hard one.
        let limits = try String(contentsOfFile: "/proc/\(c.controller!.processIdentifier)/limits", encoding: .utf8)
        let line = limits.split(separator: "\n").first { $0.hasPrefix("Max open files") }.map(String.init) ?? ""
        let numbers = line.split(separator: " ").compactMap { Int($0) }
        #expect(numbers.count == 2, "\(line)")
        #expect(numbers[0] == numbers[1], "\(line)")
    }

    @Test func aFullListenerMakesClientsWaitAndAgentsStillGetThrough() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        c.controllerArguments = ["--max-connections", "8", "--idle-timeout", "60s"]
        try await c.startController()

        // Eight idle clients hold every connection the users' listener allows.
        let idle = try (0..<8).map { _ in try RawConnection(port: c.port) }
        try await Task.sleep(for: .milliseconds(300))

        // A ninth waits in the backlog: no answer while the eight are open.
        let waiting = try RawConnection(port: c.port, timeout: 2)
        waiting.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(waiting.readResponse() == nil)

        // The agents' listener answers regardless.
        let agent = try RawConnection(port: c.agentPort)
        agent.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(agent.readResponse()?.hasPrefix("HTTP/1.1 200") == true)
        // And it serves agents only.
        let user = try RawConnection(port: c.agentPort)
        user.send("GET /v1/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(c.adminToken)\r\n\r\n")
        #expect(user.readResponse()?.hasPrefix("HTTP/1.1 404") == true)

        // The idle clients leave: the waiting one is served.
        for connection in idle { connection.hangUp() }
        let answer = RawConnection.retrying { waiting.readResponse() }
        #expect(answer?.hasPrefix("HTTP/1.1 200") == true)
    }
}
