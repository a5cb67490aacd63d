import Foundation
import NIOSSL

extension ClientConfig {
    /// The TLS configuration trusting the CA file's certificates alone (the controller's name still checked),
    /// or nil for the system's trust store. The file is read here, so a wrong path is a configuration error
    /// naming it, not a failed handshake.
    func tlsConfiguration() throws -> TLSConfiguration? {
        guard let caFile else { return nil }
        let roots: [NIOSSLCertificate]
        do { roots = try NIOSSLCertificate.fromPEMFile(caFile) } catch {
            let readable = FileManager.default.isReadableFile(atPath: caFile)
            throw CLIError("the CA file \(caFile) \(readable ? "is not a PEM bundle" : "cannot be read")")
        }
        guard !roots.isEmpty else { throw CLIError("the CA file \(caFile) holds no PEM certificate") }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(roots)
        return configuration
    }
}
