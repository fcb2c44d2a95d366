import Foundation
import NIOSSL
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// Whether the files of a `tls:` section can be served the way the replicas will load them (with
/// NIOSSL): each certificate file holds PEM certificates, each key file a PEM private key that
/// matches its certificate, the client CA file PEM certificates. The control plane runs it when it
/// has a TLS listener: its replicas run on the same machine and read the same files.
package enum TLSFileCheck {
    /// Every problem of `settings`, each naming its field (`tls.cert_file`,
    /// `tls.certificates[0].key_file`, `tls.client_ca_file`) and file.
    package static func issues(_ settings: TLSSettings) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        for (index, pair) in settings.allCertificates.enumerated() {
            let prefix = index == 0 ? "tls" : "tls.certificates[\(index - 1)]"
            issues += self.issues(pair, fieldPrefix: prefix)
        }
        if let file = settings.clientCAFile {
            do {
                _ = try certificates(file, role: "client CA")
            } catch {
                issues.append(ValidationIssue(field: "tls.client_ca_file", line: nil, message: error.description))
            }
        }
        return issues
    }

    /// The problems of one certificate and its key.
    static func issues(_ pair: TLSSettings.Certificate, fieldPrefix prefix: String) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        var chain: [NIOSSLCertificate]?
        var key: NIOSSLPrivateKey?
        do {
            chain = try certificates(pair.certFile, role: "certificate")
        } catch {
            issues.append(ValidationIssue(field: "\(prefix).cert_file", line: nil, message: error.description))
        }
        do {
            key = try privateKey(pair.keyFile)
        } catch {
            issues.append(ValidationIssue(field: "\(prefix).key_file", line: nil, message: error.description))
        }
        if let chain, let key {
            do {
                _ = try NIOSSLContext(
                    configuration: .makeServerConfiguration(
                        certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key)))
            } catch {
                issues.append(
                    ValidationIssue(
                        field: "\(prefix).key_file", line: nil,
                        message: "the private key in \(pair.keyFile) does not match the certificate in \(pair.certFile)"
                    ))
            }
        }
        return issues
    }

    /// The PEM certificates of `file`, leaf first.
    static func certificates(_ file: String, role: String) throws(TLSFileProblem) -> [NIOSSLCertificate] {
        try readable(file, role: role)
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(file)
        } catch {
            throw TLSFileProblem("\(role) file \(file) holds no readable PEM certificate")
        }
        guard !certificates.isEmpty else {
            throw TLSFileProblem("\(role) file \(file) holds no readable PEM certificate")
        }
        return certificates
    }

    /// The PEM private key of `file`.
    static func privateKey(_ file: String) throws(TLSFileProblem) -> NIOSSLPrivateKey {
        try readable(file, role: "key")
        do {
            return try NIOSSLPrivateKey(file: file, format: .pem)
        } catch {
            throw TLSFileProblem("key file \(file) is not an unencrypted PEM private key")
        }
    }

    /// Whether this process can read `file`; the system's reason when not.
    static func readable(_ file: String, role: String) throws(TLSFileProblem) {
        var info = stat()
        guard stat(file, &info) == 0 else {
            throw TLSFileProblem("cannot read \(role) file \(file): \(String(cString: strerror(errno)))")
        }
        // S_IFMT and S_IFREG.
        guard info.st_mode & 0o170000 == 0o100000 else {
            throw TLSFileProblem("\(role) file \(file) is not a regular file")
        }
        guard access(file, R_OK) == 0 else {
            throw TLSFileProblem("cannot read \(role) file \(file): \(String(cString: strerror(errno)))")
        }
    }
}

extension TLSFileCheck {
    /// Refuses a config document that a control plane with a TLS listener cannot serve: no
    /// `tls:` section, or files that do not load. Issues carry the line of their field in
    /// `document`, when it is YAML.
    ///
    /// - Throws: ``ValidationError`` like any invalid config document.
    package static func validate(_ settings: TLSSettings?, document: String?) throws(ValidationError) {
        guard let settings else {
            throw ValidationError(
                field: "tls", "is required: the control plane serves TLS (--proxy-tls-address) with its certificates")
        }
        let found = issues(settings)
        guard !found.isEmpty else { return }
        let root = document.flatMap { try? ConfigNode.parseYAML($0) }
        throw ValidationError(
            found.map { issue in
                var located = issue
                located.line = issue.field.flatMap { root?.line(ofField: $0) }
                return located
            })
    }
}
