import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One request as `ControllerClient` sends it, whichever way it goes: over TLS through AsyncHTTPClient
/// (`https`), or over a plain TCP connection of its own (`http`, `plainExchange`).
struct HTTPExchange: Sendable {
    var method: String
    /// The whole URL: the controller's base and the path (with its query).
    var url: String
    var headers: [(String, String)]
    var body: [UInt8]?
}

/// Why no HTTP answer came back, in the words `ControllerClient` reports.
enum TransportFailure: Error, Equatable {
    /// The TLS handshake refused the controller's certificate: why, and what to do.
    case untrusted(String)
    /// The connection closed (or answered in TLS) before any HTTP answer, as a TLS listener does with a
    /// request in plain HTTP.
    case closedUnanswered
    /// Anything else, in a few words ("connection refused").
    case failed(String)
}

extension HTTPExchange {
    typealias Reply = ControllerClient.Reply

    /// The answers' size limit, as for a TLS request.
    static let maxReplyBytes = 256 << 20

    /// The exchange over a TCP connection of its own (HTTP/1.1, `Connection: close`), for an `http` URL.
    /// A one-shot command needs no connection pool, event loops or their threads: one connection, a
    /// blocking write and reads, each bounded by poll(2) and the deadlines. The calls run on a thread of
    /// their own, so no Swift concurrency thread waits on the network.
    func plainExchange(connectTimeout: Duration, timeout: Duration) async throws(TransportFailure) -> Reply {
        let result = await withCheckedContinuation { (c: CheckedContinuation<Result<Reply, TransportFailure>, Never>) in
            Thread {
                do throws(TransportFailure) {
                    c.resume(
                        returning: .success(try plainExchangeBlocking(connectTimeout: connectTimeout, timeout: timeout))
                    )
                } catch {
                    c.resume(returning: .failure(error))
                }
            }.start()
        }
        return try result.get()
    }

    /// `plainExchange` on the calling thread.
    func plainExchangeBlocking(connectTimeout: Duration, timeout: Duration) throws(TransportFailure) -> Reply {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        guard let target = PlainTarget(url) else { throw .failed("not an http URL: \(url)") }
        let fd = try PlainSocket.connected(
            host: target.host, port: target.port, deadline: min(deadline, clock.now + connectTimeout),
            clock: clock)
        defer { close(fd) }
        try PlainSocket.write(fd, request(target), deadline: deadline, clock: clock)
        var parser = ReplyParser()
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let n = try PlainSocket.read(fd, into: &buffer, deadline: deadline, clock: clock)
            if let reply = try parser.feed(buffer[0..<n], ended: n == 0) { return reply }
            if parser.received > Self.maxReplyBytes {
                throw .failed("the answer is larger than \(Self.maxReplyBytes >> 20) MiB")
            }
        }
    }

    /// The request's bytes: its line, `Host`, the headers, `Content-Length` and `Connection: close`.
    func request(_ target: PlainTarget) -> [UInt8] {
        var head = "\(method) \(target.path) HTTP/1.1\r\nHost: \(target.authority)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if body != nil || method == "POST" { head += "Content-Length: \(body?.count ?? 0)\r\n" }
        head += "Connection: close\r\n\r\n"
        return Array(head.utf8) + (body ?? [])
    }
}

/// An `http` URL's parts the exchange needs.
struct PlainTarget: Equatable {
    /// As the `Host` header gives it: the host (an IPv6 address in brackets) and any port.
    var authority: String
    /// The host to resolve: a name or an address, without brackets.
    var host: String
    var port: UInt16
    /// The request target: the path (at least `/`) and the query.
    var path: String
}

extension PlainTarget {
    /// The parts of `url`; nil when it is not an `http` URL with a host (and a port number, if any).
    init?(_ url: String) {
        guard url.lowercased().hasPrefix("http://") else { return nil }
        let rest = url.dropFirst("http://".count)
        let end = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        var authority = rest[..<end]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        var path = String(rest[end...].prefix { $0 != "#" })
        if !path.hasPrefix("/") { path = "/" + path }
        let hostPart: Substring
        var portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { portPart = after.dropFirst() } else if !after.isEmpty { return nil }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portPart = authority[authority.index(after: colon)...]
        } else {
            hostPart = authority
        }
        guard !hostPart.isEmpty else { return nil }
        var port: UInt16 = 80
        if let portPart, !portPart.isEmpty {
            guard let p = UInt16(portPart) else { return nil }
            port = p
        }
        self.init(authority: String(authority), host: String(hostPart), port: port, path: path)
    }
}

/// Reads an HTTP/1.1 answer as its bytes arrive: the status line and headers, then a body framed by
/// `Content-Length`, by chunks (`Transfer-Encoding: chunked`) or by the end of the connection. Interim
/// answers (1xx) are skipped.
struct ReplyParser {
    private var bytes: [UInt8] = []
    /// Where the current answer's head ends (after its blank line), once it has.
    private var head: (status: Int, headers: [String: String], bodyStart: Int)?
    /// Bytes received so far.
    var received: Int { bytes.count }

    /// Adds what was read (nothing, with `ended`, when the connection closed); the answer once it is whole.
    mutating func feed(_ more: ArraySlice<UInt8>, ended: Bool) throws(TransportFailure) -> ControllerClient.Reply? {
        bytes += more
        while head == nil {
            if let first = bytes.first, first == 0x15 || first == 0x16 {
                // A TLS record (an alert or a handshake): the other end speaks HTTPS.
                throw .closedUnanswered
            }
            guard let end = Self.find([13, 10, 13, 10], in: bytes, from: 0) else {
                if ended { throw bytes.isEmpty ? .closedUnanswered : .failed("the answer ended in its headers") }
                return nil
            }
            let parsed = try Self.parseHead(bytes[0..<end])
            if (100..<200).contains(parsed.status) {
                bytes.removeSubrange(0..<(end + 4))
                continue
            }
            head = (parsed.status, parsed.headers, end + 4)
        }
        guard let head else { return nil }
        let headers = head.headers
        func reply(_ body: [UInt8]) -> ControllerClient.Reply {
            ControllerClient.Reply(status: head.status, headers: headers, body: body)
        }
        if head.status == 204 || head.status == 304 { return reply([]) }
        let field = { (name: String) in headers.first { $0.key.lowercased() == name }?.value }
        if let coding = field("transfer-encoding"), coding.lowercased().contains("chunked") {
            if let body = try Self.dechunk(bytes[head.bodyStart...]) { return reply(body) }
            if ended { throw .failed("the answer ended in its body") }
            return nil
        }
        if let text = field("content-length") {
            guard let length = Int(text.trimmingCharacters(in: .whitespaces)), length >= 0 else {
                throw .failed("the answer's Content-Length is '\(text)'")
            }
            if bytes.count - head.bodyStart >= length {
                return reply(Array(bytes[head.bodyStart..<(head.bodyStart + length)]))
            }
            if ended { throw .failed("the answer ended in its body") }
            return nil
        }
        return ended ? reply(Array(bytes[head.bodyStart...])) : nil
    }

    /// The status and headers of a head (without its blank line).
    static func parseHead(_ text: ArraySlice<UInt8>) throws(TransportFailure) -> (
        status: Int, headers: [String: String]
    ) {
        let lines = String(decoding: text, as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusLine = lines.first ?? ""
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw .failed("the answer is not HTTP: '\(statusLine.prefix(40))'")
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (status, headers)
    }

    /// A chunked body's bytes once its last chunk and trailers have come; nil while more are to come.
    static func dechunk(_ data: ArraySlice<UInt8>) throws(TransportFailure) -> [UInt8]? {
        var body: [UInt8] = []
        var i = data.startIndex
        while true {
            guard let lineEnd = find([13, 10], in: data, from: i) else { return nil }
            let sizeText = String(decoding: data[i..<lineEnd], as: UTF8.self).prefix { $0 != ";" }
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size >= 0 else {
                throw .failed("the answer's chunk size is '\(sizeText)'")
            }
            i = lineEnd + 2
            if size == 0 {
                // Trailers, if any, end with a blank line.
                while true {
                    guard let end = find([13, 10], in: data, from: i) else { return nil }
                    if end == i { return body }
                    i = end + 2
                }
            }
            guard data.endIndex - i >= size + 2 else { return nil }
            body += data[i..<(i + size)]
            i += size + 2
        }
    }

    /// Where `needle` first occurs in `haystack` at or after `from`.
    static func find<C: RandomAccessCollection>(_ needle: [UInt8], in haystack: C, from: C.Index) -> C.Index?
    where C.Element == UInt8, C.Index == Int {
        guard haystack.endIndex - from >= needle.count else { return nil }
        var i = from
        while i <= haystack.endIndex - needle.count {
            if haystack[i] == needle[0] && haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}

/// The socket calls of a plain exchange: non-blocking descriptors waited on with poll(2) until a deadline.
enum PlainSocket {
    /// A connected TCP socket to the first of `host`'s addresses that accepts.
    static func connected(host: String, port: UInt16, deadline: ContinuousClock.Instant, clock: ContinuousClock)
        throws(TransportFailure) -> Int32
    {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = streamSocket
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let list else { throw .failed("unknown host") }
        defer { freeaddrinfo(list) }
        var failure = TransportFailure.failed("unknown host")
        var next: UnsafeMutablePointer<addrinfo>? = list
        while let ai = next {
            next = ai.pointee.ai_next
            let fd = socket(ai.pointee.ai_family, streamSocket, ai.pointee.ai_protocol)
            guard fd >= 0 else {
                failure = .failed(errorText(errno))
                continue
            }
            do throws(TransportFailure) {
                try prepare(fd)
                if connect(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen) != 0 {
                    guard errno == EINPROGRESS else { throw .failed(errorText(errno)) }
                    guard try wait(fd, for: Int16(POLLOUT), deadline: deadline, clock: clock) else {
                        throw .failed("connection timed out")
                    }
                    var error: Int32 = 0
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
                    if error != 0 { throw .failed(errorText(error)) }
                }
                return fd
            } catch {
                close(fd)
                failure = error
            }
        }
        throw failure
    }

    /// Writes all of `bytes`.
    static func write(_ fd: Int32, _ bytes: [UInt8], deadline: ContinuousClock.Instant, clock: ContinuousClock)
        throws(TransportFailure)
    {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, noSignal) }
            if n >= 0 {
                sent += n
            } else if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                guard try wait(fd, for: Int16(POLLOUT), deadline: deadline, clock: clock) else {
                    throw .failed("no answer in time")
                }
            } else if errno == EPIPE || errno == ECONNRESET {
                throw .closedUnanswered
            } else {
                throw .failed(errorText(errno))
            }
        }
    }

    /// Reads what has come into `buffer`; 0 when the other end closed the connection.
    static func read(
        _ fd: Int32, into buffer: inout [UInt8], deadline: ContinuousClock.Instant, clock: ContinuousClock
    ) throws(TransportFailure) -> Int {
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n >= 0 { return n }
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                guard try wait(fd, for: Int16(POLLIN), deadline: deadline, clock: clock) else {
                    throw .failed("no answer in time")
                }
            } else if errno == ECONNRESET {
                return 0
            } else {
                throw .failed(errorText(errno))
            }
        }
    }

    /// Waits until `fd` is ready for `events`; false when the deadline came first.
    static func wait(_ fd: Int32, for events: Int16, deadline: ContinuousClock.Instant, clock: ContinuousClock)
        throws(TransportFailure) -> Bool
    {
        while true {
            let left = clock.now.duration(to: deadline)
            if left <= .zero { return false }
            let (seconds, attoseconds) = left.components
            let ms = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            var p = pollfd(fd: fd, events: events, revents: 0)
            let n = poll(&p, 1, ms)
            if n > 0 { return true }
            if n < 0 && errno != EINTR { throw .failed(errorText(errno)) }
        }
    }

    /// Non-blocking, closed on exec, and (on Darwin, which lacks `MSG_NOSIGNAL`) no SIGPIPE.
    static func prepare(_ fd: Int32) throws(TransportFailure) {
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0, fcntl(fd, F_SETFD, FD_CLOEXEC) == 0 else {
            throw .failed(errorText(errno))
        }
        #if canImport(Darwin)
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        #endif
    }

    /// `connection refused` and the like: the C library's words, in lower case.
    static func errorText(_ code: Int32) -> String {
        if code == ECONNREFUSED { return "connection refused" }
        if code == ETIMEDOUT { return "connection timed out" }
        let text = String(cString: strerror(code))
        return text.prefix(1).lowercased() + text.dropFirst()
    }

    #if canImport(Glibc)
        static let streamSocket = Int32(SOCK_STREAM.rawValue)
        static let noSignal = Int32(MSG_NOSIGNAL)
    #else
        static let streamSocket = SOCK_STREAM
        static let noSignal: Int32 = 0
    #endif
}
