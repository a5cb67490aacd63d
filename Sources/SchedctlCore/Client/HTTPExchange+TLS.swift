import AsyncHTTPClient
import Foundation
import NIOSSL

extension HTTPExchange {
    /// The exchange through the process's AsyncHTTPClient, over TLS trusting `tls`'s roots (nil: the system's
    /// trust store), for an `https` URL.
    func overTLS(_ tls: TLSConfiguration?, timeout: Duration) async throws(TransportFailure) -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        request.tlsConfiguration = tls
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(body) }
        do {
            let (seconds, attoseconds) = timeout.components
            let response = try await schedctlHTTPClient.execute(
                request, timeout: .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000))
            let buffer = try await response.body.collect(upTo: Self.maxReplyBytes)
            var headers: [String: String] = [:]
            for (name, value) in response.headers { headers[name] = value }
            return Reply(status: Int(response.status.code), headers: headers, body: Array(buffer.readableBytesView))
        } catch {
            if let why = Self.untrusted(error, host: URL(string: url)?.host ?? url) { throw .untrusted(why) }
            throw .failed(Self.describe(error))
        }
    }

    /// Why the TLS handshake refused the controller's certificate and what to do, or nil when the failure was
    /// not the certificate's: it names another host than `host`, or no CA trusted here signed it.
    static func untrusted(_ error: any Error, host: String) -> String? {
        if let error = error as? NIOSSLExtraError, error == .failedToValidateHostname {
            return "it was issued for another name than \(host); use a name or address the certificate carries"
        }
        let text = String(describing: error)
        guard text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("certificate verify failed") else {
            return nil
        }
        return "no CA it trusts signed it; give the CA that did with --ca-file, RASPORED_CA or ca: in the config file"
    }

    /// Connection failures in a few words ("connection refused") rather than NIO's type dumps.
    static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        for (needle, words) in [
            ("connection refused", "connection refused"), ("Connection refused", "connection refused"),
            ("connectTimeout", "connection timed out"), ("deadlineExceeded", "no answer in time"),
            ("readTimeout", "no answer in time"), ("NXDOMAIN", "unknown host"), ("getaddrinfo", "unknown host"),
        ] where text.contains(needle) {
            return words
        }
        return text
    }
}

/// One HTTP client for the process, made on its first `https` request. Unlike `HTTPClient.shared` it does not
/// retry a refused connection until the request's deadline: a person waiting on a stopped controller hears
/// so at once.
private let schedctlHTTPClient: HTTPClient = {
    var configuration = HTTPClient.Configuration()
    configuration.connectionPool.retryConnectionEstablishment = false
    configuration.timeout.connect = .seconds(10)
    return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
}()
