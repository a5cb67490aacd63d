import Foundation

/// Where plain HTTP is allowed: on this machine's loopback alone, since every request carries a bearer token
/// and a token read off the network is a user's (or a node's) identity. The controller serves HTTPS, and its
/// clients use it, on any other address unless an operator says `--allow-plain-http`.
public enum PlainHTTP {
    /// Whether `host` names this machine's loopback: `localhost`, an address in 127.0.0.0/8, or `::1` (also
    /// written in full, in brackets, or as the IPv4-mapped `::ffff:127.x.y.z`). Names other than `localhost`
    /// are not resolved: what a name points to can change, so it never counts as loopback.
    public static func isLoopback(host: String) -> Bool {
        var host = host.lowercased()
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host == "localhost" || host == "localhost." { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return UInt32(bigEndian: v4.s_addr) >> 24 == 127
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, host, &v6) == 1 else { return false }
        let bytes = withUnsafeBytes(of: v6) { Array($0) }
        if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }
        let mapped: [UInt8] = Array(repeating: 0, count: 10) + [0xff, 0xff]
        return Array(bytes[0..<12]) == mapped && bytes[12] == 127
    }

    /// Whether a client may send its token to `url`: any `https` URL, and `http` to loopback only.
    public static func allows(url: URL) -> Bool {
        guard url.scheme?.lowercased() == "http" else { return true }
        return url.host.map { isLoopback(host: $0) } ?? false
    }

    /// A client's refusal of the controller URL `url` (plain HTTP to another machine), naming its flags.
    public static func clientRefusal(_ url: String) -> String {
        "the controller URL \(url) is plain HTTP to another machine, where the token would cross the network "
            + "in the clear: use https:// (with --ca-file for the CA that signed the controller's certificate), "
            + "or give --allow-plain-http"
    }
}
