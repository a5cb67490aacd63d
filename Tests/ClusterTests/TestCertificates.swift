import Foundation

/// A throwaway CA and a server certificate it signed for `127.0.0.1` and `localhost`, made with the `openssl`
/// command in `directory` (the test's own, removed with it).
struct TestCertificates {
    /// The CA's certificate: the bundle clients trust.
    let caFile: String
    /// The server's certificate and its private key (PEM, unencrypted).
    let certificateFile: String
    let keyFile: String

    init(in directory: String, name: String = "tls") throws {
        let dir = directory + "/" + name
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        caFile = dir + "/ca.pem"
        certificateFile = dir + "/server.pem"
        keyFile = dir + "/server.key"
        let extensions = dir + "/server.ext"
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
            .write(toFile: extensions, atomically: true, encoding: .utf8)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        let ca = ["-keyout", dir + "/ca.key", "-out", caFile, "-days", "2", "-subj", "/CN=Raspored test CA \(name)"]
        try Self.openssl(["req", "-x509"] + ec + ca)
        try Self.openssl(["req"] + ec + ["-keyout", keyFile, "-out", dir + "/server.csr", "-subj", "/CN=localhost"])
        try Self.openssl([
            "x509", "-req", "-in", dir + "/server.csr", "-CA", caFile, "-CAkey", dir + "/ca.key", "-set_serial", "1",
            "-days", "2", "-extfile", extensions, "-out", certificateFile,
        ])
    }

    private static func openssl(_ arguments: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["openssl"] + arguments
        let err = Pipe()
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        p.standardError = err
        try p.run()
        let message = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            let why = String(decoding: message, as: UTF8.self)
            throw ClusterError("openssl \(arguments.prefix(2).joined(separator: " ")) failed: \(why)")
        }
    }
}
