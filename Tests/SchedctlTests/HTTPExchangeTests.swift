import Foundation
import Glibc
import Testing

@testable import SchedctlCore

/// The plain `http` exchange: the URL's parts, the request's bytes, the answer read as it arrives, and what a
/// listener that answers nothing (as a TLS one does to plain HTTP) comes to.
@Suite struct HTTPExchangeTests {
    @Test func aURLGivesItsHostPortAndRequestTarget() throws {
        let t = try #require(PlainTarget("http://127.0.0.1:8420/v1/jobs?state=pending,running&limit=5"))
        #expect(
            t
                == PlainTarget(
                    authority: "127.0.0.1:8420", host: "127.0.0.1", port: 8420,
                    path: "/v1/jobs?state=pending,running&limit=5"))
        let v6 = try #require(PlainTarget("http://[::1]:9/healthz"))
        #expect(v6 == PlainTarget(authority: "[::1]:9", host: "::1", port: 9, path: "/healthz"))
        let bare = try #require(PlainTarget("HTTP://localhost"))
        #expect(bare == PlainTarget(authority: "localhost", host: "localhost", port: 80, path: "/"))
        let query = try #require(PlainTarget("http://ctl?x=1#frag"))
        #expect(query.path == "/?x=1")
        for bad in ["https://ctl", "ctl:8420", "http://:80/", "http://ctl:http", "http://ctl:99999", "http://[::1"] {
            #expect(PlainTarget(bad) == nil, "\(bad)")
        }
    }

    @Test func theRequestCarriesItsHeadersBodyAndLengthAndClosesTheConnection() throws {
        let post = HTTPExchange(
            method: "POST", url: "http://127.0.0.1:1/v1/jobs", headers: [("Authorization", "Bearer t")],
            body: Array("{}".utf8))
        #expect(
            String(decoding: post.request(try #require(PlainTarget(post.url))), as: UTF8.self)
                == "POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1:1\r\nAuthorization: Bearer t\r\n"
                + "Content-Length: 2\r\nConnection: close\r\n\r\n{}")
        let cancel = HTTPExchange(method: "POST", url: "http://h/v1/jobs/4/cancel", headers: [], body: nil)
        #expect(
            String(decoding: cancel.request(try #require(PlainTarget(cancel.url))), as: UTF8.self)
                == "POST /v1/jobs/4/cancel HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        let get = HTTPExchange(method: "GET", url: "http://h/v1/nodes", headers: [], body: nil)
        #expect(
            String(decoding: get.request(try #require(PlainTarget(get.url))), as: UTF8.self)
                == "GET /v1/nodes HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
    }

    /// Feeds `text` in pieces of `step` bytes, then the end; the answer, or the failure.
    func read(_ text: String, step: Int = 7, end: Bool = true) -> Result<ControllerClient.Reply?, TransportFailure> {
        var parser = ReplyParser()
        let bytes = Array(text.utf8)
        do throws(TransportFailure) {
            var i = 0
            while i < bytes.count {
                let piece = bytes[i..<min(i + step, bytes.count)]
                if let reply = try parser.feed(piece, ended: false) { return .success(reply) }
                i += step
            }
            return .success(end ? try parser.feed([], ended: true) : nil)
        } catch {
            return .failure(error)
        }
    }

    @Test func anAnswerIsFramedByItsLengthItsChunksOrTheEndOfTheConnection() throws {
        let sized = try read(
            "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\ncontent-length: 9\r\n\r\n{\"id\":42}", end: false
        ).get()
        #expect(sized?.status == 201)
        #expect(sized?.header("Content-Length") == "9")
        #expect(sized.map { String(decoding: $0.body, as: UTF8.self) } == "{\"id\":42}")
        let chunked = try read(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-T: 1\r\n\r\n",
            end: false
        ).get()
        #expect(chunked.map { String(decoding: $0.body, as: UTF8.self) } == "hello, world")
        let toTheEnd = try read("HTTP/1.0 200 OK\r\nX-Raspored-Output-Size: 3\r\n\r\nabc").get()
        #expect(toTheEnd.map { String(decoding: $0.body, as: UTF8.self) } == "abc")
        #expect(toTheEnd?.header("x-raspored-output-size") == "3")
        let interim = try read("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno")
            .get()
        #expect(interim?.status == 404)
        #expect(try read("HTTP/1.1 204 No Content\r\n\r\n", end: false).get()?.body == [])
    }

    func failure(_ text: String) -> TransportFailure? {
        guard case let .failure(f) = read(text) else { return nil }
        return f
    }

    @Test func anAnswerCutShortOrNotHTTPIsAFailure() {
        #expect(failure("") == .closedUnanswered)
        #expect(failure("\u{15}\u{03}\u{03}\0\u{02}\u{02}\u{46}") == .closedUnanswered)
        #expect(
            failure("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort") == .failed("the answer ended in its body"))
        #expect(failure("HTTP/1.1 200 OK\r\nContent-") == .failed("the answer ended in its headers"))
        #expect(failure("SSH-2.0-OpenSSH_9.2\r\n\r\n") == .failed("the answer is not HTTP: 'SSH-2.0-OpenSSH_9.2'"))
    }

    @Test func aListenerThatClosesUnansweredIsNamedAsAnHTTPSOne() async throws {
        // A listener that takes the connection and closes it without a word, as an HTTPS one does with plain
        // HTTP.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, len) == 0 && listen(fd, 4) == 0 && getsockname(fd, $0, &len) == 0
            }
        }
        try #require(listening)
        let port = UInt16(bigEndian: addr.sin_port)
        let closer = Thread {
            let c = accept(fd, nil, nil)
            if c >= 0 { close(c) }
        }
        closer.start()
        defer { close(fd) }
        let client = ControllerClient(base: "http://127.0.0.1:\(port)", token: "t")
        do {
            let _: NodeListStandIn = try await client.get("/v1/nodes")
            Issue.record("no error")
        } catch let e as ControllerError {
            #expect(
                e.description
                    == "cannot reach the controller at http://127.0.0.1:\(port) (it closed the connection unanswered, "
                    + "as a controller serving HTTPS does: try https://); is schedulerd running there? "
                    + "Set --controller or RASPORED_CONTROLLER")
            #expect(e.exitStatus == 2)
        }
    }

    struct NodeListStandIn: Decodable {}
}
