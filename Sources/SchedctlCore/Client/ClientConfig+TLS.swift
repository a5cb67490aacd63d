import ClientTrust
import NIOSSL

extension ClientConfig {
    /// The TLS configuration trusting the CA file's certificates alone (the controller's name still checked),
    /// or nil for the system's trust store (`ControllerTrust`).
    func tlsConfiguration() throws -> TLSConfiguration? {
        guard let caFile else { return nil }
        do { return try ControllerTrust.configuration(caFile: caFile) } catch { throw CLIError("\(error)") }
    }
}
