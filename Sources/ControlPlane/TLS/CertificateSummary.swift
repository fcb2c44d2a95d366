import Foundation
import SwiftASN1
import X509

#if canImport(Glibc)
    import Glibc
#endif

/// What an operator wants to know of a certificate file: the leaf certificate's (the first one's)
/// subject, subject alternative names and validity.
package struct CertificateSummary: Sendable, Equatable {
    /// The subject as RFC 4514 text: `CN=example.com,O=Example`.
    package var subject: String
    /// The `DNS:` subject alternative names, in their order.
    package var dnsNames: [String]
    /// The `IP:` subject alternative names, as text (`192.0.2.1`, `2001:db8::1`).
    package var ipAddresses: [String]
    package var notBefore: Date
    package var notAfter: Date

    package init(subject: String, dnsNames: [String], ipAddresses: [String], notBefore: Date, notAfter: Date) {
        self.subject = subject
        self.dnsNames = dnsNames
        self.ipAddresses = ipAddresses
        self.notBefore = notBefore
        self.notAfter = notAfter
    }

    /// Summarises the first certificate of a PEM document (a leaf, maybe followed by its chain).
    ///
    /// - Throws: ``TLSFileProblem`` when the document holds no readable certificate.
    package init(pem text: String, file: String) throws(TLSFileProblem) {
        let certificate: Certificate
        do {
            let documents = try PEMDocument.parseMultiple(pemString: text)
            guard let first = documents.first(where: { $0.discriminator == "CERTIFICATE" }) else {
                throw TLSFileProblem("certificate file \(file) holds no readable PEM certificate")
            }
            certificate = try Certificate(pemDocument: first)
        } catch let problem as TLSFileProblem {
            throw problem
        } catch {
            throw TLSFileProblem("certificate file \(file) holds no readable PEM certificate")
        }
        var dnsNames: [String] = []
        var ipAddresses: [String] = []
        for name in (try? certificate.extensions.subjectAlternativeNames) ?? SubjectAlternativeNames() {
            switch name {
            case .dnsName(let host): dnsNames.append(host)
            case .ipAddress(let bytes): ipAddresses.append(Self.ipText(Array(bytes.bytes)))
            default: break
            }
        }
        self.init(
            subject: certificate.subject.description, dnsNames: dnsNames, ipAddresses: ipAddresses,
            notBefore: certificate.notValidBefore, notAfter: certificate.notValidAfter)
    }

    /// Reads and summarises a certificate file.
    ///
    /// - Throws: ``TLSFileProblem`` naming the file when it cannot be read or parsed.
    package init(file: String) throws(TLSFileProblem) {
        try TLSFileCheck.readable(file, role: "certificate")
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw TLSFileProblem("certificate file \(file) holds no readable PEM certificate")
        }
        try self.init(pem: text, file: file)
    }

    /// Whole days until ``notAfter`` (negative once it passed), counted down from `now`.
    package func daysLeft(at now: Date) -> Int {
        Int((notAfter.timeIntervalSince(now) / 86_400).rounded(.down))
    }

    /// Whether it expires within `days` of `now` (or has expired).
    package func expires(within days: Int, of now: Date) -> Bool {
        notAfter.timeIntervalSince(now) < Double(days) * 86_400
    }

    /// Four or sixteen address bytes as text; anything else in hex.
    static func ipText(_ bytes: [UInt8]) -> String {
        switch bytes.count {
        case 4:
            return bytes.map(String.init).joined(separator: ".")
        case 16:
            var address = in6_addr()
            withUnsafeMutableBytes(of: &address) { $0.copyBytes(from: bytes) }
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            guard inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count)) != nil else { break }
            let text = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
            return String(decoding: text, as: UTF8.self)
        default:
            break
        }
        return bytes.map { String(format: "%02x", $0) }.joined()
    }
}
