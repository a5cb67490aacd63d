import Foundation
import NIOSSL

/// Which certificates a client (the agent, schedctl) accepts from an `https` controller: the system's trust
/// store, or the CAs of one PEM bundle (`--ca-file`) for a controller whose certificate a private CA signed.
/// The bundle is read once, at start, so a wrong path is an error naming it, not a failed handshake.
public enum ControllerTrust {
    /// A client configuration trusting the certificates in `caFile` alone, the controller's name checked.
    public static func configuration(caFile: String) throws -> TLSConfiguration {
        let roots: [NIOSSLCertificate]
        do { roots = try NIOSSLCertificate.fromPEMFile(caFile) } catch {
            let readable = FileManager.default.isReadableFile(atPath: caFile)
            throw ControllerTrustError("the CA file \(caFile) \(readable ? "is not a PEM bundle" : "cannot be read")")
        }
        guard !roots.isEmpty else { throw ControllerTrustError("the CA file \(caFile) holds no PEM certificate") }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(roots)
        return configuration
    }
}

/// A CA file a client cannot trust a controller with, and why.
public struct ControllerTrustError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
