import Foundation

/// A test certificate authority made with `openssl` in a test's directory, and certificates it
/// issues (P-256 keys: quick to make). Everything is valid for two days.
public struct TestPKI: Sendable {
    /// A certificate and its key, as file paths.
    public struct Issued: Sendable {
        public var certFile: String
        public var keyFile: String
    }

    public static let openssl = "/usr/bin/openssl"
    public static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: openssl) }

    public let directory: TestDirectory
    /// The CA's certificate (PEM).
    public var caFile: String { directory.file("ca.pem").path }

    /// Makes a fresh CA named `name` in `directory`.
    public init(in directory: TestDirectory, name: String = "Orchestrator Test CA") throws {
        self.directory = directory
        try Self.run(
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=\(name)",
            ], in: directory)
    }

    /// Issues a certificate for `commonName` with the DNS subject alternative names `dnsNames`
    /// (none: the common name alone), for a server or (`client`) a client; written as
    /// `file.pem` and `file.key` (`file` defaults to the common name).
    @discardableResult
    public func issue(
        _ commonName: String, dnsNames: [String], client: Bool = false, file: String? = nil
    ) throws -> Issued {
        let base = file ?? commonName
        var extensions = client ? "extendedKeyUsage=clientAuth\n" : "extendedKeyUsage=serverAuth\n"
        if !dnsNames.isEmpty {
            extensions += "subjectAltName=" + dnsNames.map { "DNS:\($0)" }.joined(separator: ",") + "\n"
        }
        try directory.write(extensions, to: "\(base).ext")
        try Self.run(
            [
                "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                "\(base).key", "-out", "\(base).csr", "-subj", "/CN=\(commonName)",
            ], in: directory)
        try Self.run(
            [
                "x509", "-req", "-in", "\(base).csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out",
                "\(base).pem", "-days", "2", "-extfile", "\(base).ext",
            ], in: directory)
        return Issued(certFile: directory.file("\(base).pem").path, keyFile: directory.file("\(base).key").path)
    }

    private static func run(_ arguments: [String], in directory: TestDirectory) throws {
        let process = try ChildProcess(
            URL(fileURLWithPath: openssl), arguments: arguments, directory: directory.url, name: "openssl")
        let status = process.waitForExit(timeout: 60)
        guard status == 0 else {
            process.stop()
            throw TestPKIError(step: arguments.prefix(2).joined(separator: " "), log: process.logTail)
        }
    }
}

/// An `openssl` step failed.
public struct TestPKIError: Error, CustomStringConvertible {
    public var step: String
    public var log: String
    public var description: String { "openssl \(step) failed\n\(log)" }
}
