import Crypto
import Foundation

/// Bearer token secrets: how they are made and how they are stored (as a SHA-256 digest, never as is).
enum TokenSecret {
    /// Marks a Raspored token in logs and config files; not part of the secret's strength.
    static let prefix = "rsp_"

    /// A new secret: the prefix and 256 random bits from the system's CSPRNG, base64url without padding.
    static func generate() -> String {
        var rng = SystemRandomNumberGenerator()
        var bytes = [UInt8]()
        for _ in 0..<4 { withUnsafeBytes(of: rng.next() as UInt64) { bytes += $0 } }
        let text = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return prefix + text
    }

    /// The stored form: SHA-256 of the secret's UTF-8, lowercase hex. The secret has 256 random bits,
    /// so a plain (unsalted, fast) hash is enough: there is nothing to guess a dictionary for.
    static func digest(_ secret: String) -> String {
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for b in SHA256.hash(data: Data(secret.utf8)) {
            out.append(hex[Int(b >> 4)])
            out.append(hex[Int(b & 0xf)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
