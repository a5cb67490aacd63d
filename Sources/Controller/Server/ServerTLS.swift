import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import NIOSSL

/// The certificate chain and private key the controller's listeners serve HTTPS with (`--tls-cert`,
/// `--tls-key`, both PEM). They are read and checked against each other once, at start, so a wrong path or a
/// key of another certificate stops schedulerd with its reason instead of failing each connection's handshake.
public struct ServerTLS: Sendable {
    public let configuration: TLSConfiguration

    /// Reads the chain (the server's certificate first, then any intermediates) and its key.
    public init(certificateFile: String, keyFile: String) throws(ServerTLSError) {
        let chain: [NIOSSLCertificate]
        do { chain = try NIOSSLCertificate.fromPEMFile(certificateFile) } catch {
            throw ServerTLSError(file: certificateFile, problem: Self.readProblem(certificateFile, "a PEM certificate"))
        }
        guard !chain.isEmpty else {
            throw ServerTLSError(file: certificateFile, problem: "holds no PEM certificate")
        }
        let key: NIOSSLPrivateKey
        do { key = try NIOSSLPrivateKey(file: keyFile, format: .pem) } catch {
            throw ServerTLSError(file: keyFile, problem: Self.readProblem(keyFile, "an unencrypted PEM private key"))
        }
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        // Building a context is where a key that does not belong to the certificate is found.
        do { _ = try NIOSSLContext(configuration: configuration) } catch {
            throw ServerTLSError(file: keyFile, problem: "is not the private key of \(certificateFile) (\(error))")
        }
        self.configuration = configuration
    }

    /// Why a file that NIOSSL could not load was refused: missing, unreadable, or not what it should hold.
    private static func readProblem(_ path: String, _ expected: String) -> String {
        if !FileManager.default.fileExists(atPath: path) { return "no such file" }
        if !FileManager.default.isReadableFile(atPath: path) { return "cannot be read (permissions)" }
        return "is not \(expected)"
    }
}

/// A certificate or key file schedulerd cannot serve HTTPS with, and why.
public struct ServerTLSError: Error, CustomStringConvertible {
    public var file: String
    public var problem: String
    public var description: String { "\(file): \(problem)" }
}

extension ListenerLimits {
    /// The HTTP/1.1 server with these timeouts, behind TLS when `tls` is given.
    public func server(tls: ServerTLS?) throws -> HTTPServerBuilder {
        guard let tls else { return server }
        return try .tls(server, tlsConfiguration: tls.configuration)
    }

    /// The same with WebSocket upgrades (`server(webSocketRouter:)`), behind TLS when `tls` is given.
    public func server(tls: ServerTLS?, webSocketRouter: Router<APIRequestContext>) throws -> HTTPServerBuilder {
        let plain = server(webSocketRouter: webSocketRouter)
        guard let tls else { return plain }
        return try .tls(plain, tlsConfiguration: tls.configuration)
    }
}
