import Crypto
import Foundation
import SwiftASN1
import X509

#if canImport(Glibc)
    import Glibc
#endif

/// A certificate authority made in-process (P-256 keys, swift-certificates) that issues leaf
/// certificates for TLS tests and writes them as PEM files: no `openssl` needed, and any validity
/// window (an expired certificate, one that expires in three days) is one argument.
public struct TestCertificateAuthority: Sendable {
    /// A certificate and its key as PEM files.
    public struct Issued: Sendable {
        /// The certificate, followed by the CA's when the chain was asked for.
        public let certFile: String
        public let keyFile: String
    }

    public let certificate: Certificate
    private let key: P256.Signing.PrivateKey

    /// A new self-signed CA named `commonName`, valid from an hour ago for ten years.
    public init(commonName: String = "Orchestrator Test CA") throws {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName(commonName) }
        certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(key.publicKey), notValidBefore: Date().addingTimeInterval(-3600),
            notValidAfter: Date().addingTimeInterval(10 * 365 * 86_400), issuer: name, subject: name,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                KeyUsage(keyCertSign: true, cRLSign: true)
            }, issuerPrivateKey: Certificate.PrivateKey(key))
        self.key = key
    }

    /// The CA certificate as PEM.
    public var pem: String {
        get throws { try certificate.serializeAsPEM().pemString + "\n" }
    }

    /// Writes the CA certificate to `directory/name`; returns its path.
    public func write(to directory: TestDirectory, as name: String = "ca.pem") throws -> String {
        try directory.write(try pem, to: name)
        return directory.file(name).path
    }

    /// Issues a leaf certificate for `commonName` with these subject alternative names (IP
    /// addresses as text) and writes `NAME.pem` and `NAME.key` into `directory`.
    public func issue(
        _ name: String, in directory: TestDirectory, commonName: String, dnsNames: [String] = [],
        ipAddresses: [String] = [], notValidBefore: Date = Date().addingTimeInterval(-3600),
        notValidAfter: Date = Date().addingTimeInterval(90 * 86_400), withChain: Bool = false
    ) throws -> Issued {
        let leafKey = P256.Signing.PrivateKey()
        let names = dnsNames.map { GeneralName.dnsName($0) } + ipAddresses.map { GeneralName.ipAddress(Self.bytes($0)) }
        let leaf = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(leafKey.publicKey), notValidBefore: notValidBefore,
            notValidAfter: notValidAfter, issuer: certificate.subject,
            subject: try DistinguishedName { CommonName(commonName) },
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                KeyUsage(digitalSignature: true)
                SubjectAlternativeNames(names)
            }, issuerPrivateKey: Certificate.PrivateKey(key))
        var chain = try leaf.serializeAsPEM().pemString + "\n"
        if withChain { chain += try pem }
        try directory.write(chain, to: "\(name).pem")
        try directory.write(leafKey.pemRepresentation + "\n", to: "\(name).key")
        return Issued(certFile: directory.file("\(name).pem").path, keyFile: directory.file("\(name).key").path)
    }

    /// `192.0.2.1` or `2001:db8::1` as the bytes of an `iPAddress` name.
    static func bytes(_ text: String) -> ASN1OctetString {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return ASN1OctetString(contentBytes: withUnsafeBytes(of: &v4) { ArraySlice($0) })
        }
        var v6 = in6_addr()
        precondition(inet_pton(AF_INET6, text, &v6) == 1, "not an IP address: \(text)")
        return ASN1OctetString(contentBytes: withUnsafeBytes(of: &v6) { ArraySlice($0) })
    }
}
