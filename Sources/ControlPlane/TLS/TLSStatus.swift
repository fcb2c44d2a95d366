import Foundation
import Shared

/// `/config/status`'s `tls`: the TLS listener and, for each certificate of the settings the
/// replicas serve (the current snapshot's), what its file holds as the control plane reads it.
package struct TLSStatus: Sendable, Encodable, Equatable {
    /// One certificate and key pair of the settings.
    package struct CertificateStatus: Sendable, Encodable, Equatable {
        package var certFile: String
        package var keyFile: String
        /// Whether it is the default certificate (the section's own `cert_file`), served when no
        /// other one matches the client's SNI name.
        package var isDefault: Bool
        package var subject: String?
        package var dnsNames: [String]
        package var ipAddresses: [String]
        /// ISO 8601 UTC.
        package var notBefore: String?
        /// ISO 8601 UTC.
        package var notAfter: String?
        /// Whole days until `not_after`, negative once expired.
        package var daysLeft: Int?
        package var expired: Bool
        /// Under ``TLSStatus/warningDays`` days left (or expired).
        package var expiresSoon: Bool
        /// Why the file could not be read, when it could not.
        package var error: String?

        package init(
            _ pair: TLSSettings.Certificate, isDefault: Bool, summary: Result<CertificateSummary, TLSFileProblem>,
            now: Date
        ) {
            certFile = pair.certFile
            keyFile = pair.keyFile
            self.isDefault = isDefault
            switch summary {
            case .success(let summary):
                subject = summary.subject
                dnsNames = summary.dnsNames
                ipAddresses = summary.ipAddresses
                notBefore = Timestamp.string(summary.notBefore)
                notAfter = Timestamp.string(summary.notAfter)
                daysLeft = summary.daysLeft(at: now)
                expired = summary.notAfter <= now
                expiresSoon = summary.expires(within: TLSStatus.warningDays, of: now)
                error = nil
            case .failure(let problem):
                subject = nil
                dnsNames = []
                ipAddresses = []
                notBefore = nil
                notAfter = nil
                daysLeft = nil
                expired = false
                expiresSoon = false
                error = problem.description
            }
        }

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(certFile, forKey: .certFile)
            try container.encode(keyFile, forKey: .keyFile)
            try container.encode(isDefault, forKey: .isDefault)
            try container.encode(subject, forKey: .subject)
            try container.encode(dnsNames, forKey: .dnsNames)
            try container.encode(ipAddresses, forKey: .ipAddresses)
            try container.encode(notBefore, forKey: .notBefore)
            try container.encode(notAfter, forKey: .notAfter)
            try container.encode(daysLeft, forKey: .daysLeft)
            try container.encode(expired, forKey: .expired)
            try container.encode(expiresSoon, forKey: .expiresSoon)
            try container.encode(error, forKey: .error)
        }

        enum CodingKeys: String, CodingKey {
            case certFile = "cert_file"
            case keyFile = "key_file"
            case isDefault = "default"
            case subject
            case dnsNames = "dns_names"
            case ipAddresses = "ip_addresses"
            case notBefore = "not_before"
            case notAfter = "not_after"
            case daysLeft = "days_left"
            case expired
            case expiresSoon = "expires_soon"
            case error
        }
    }

    /// Fewer days left than this is `expires_soon`.
    package static let warningDays = 14

    /// The TLS listener's address; `nil` without `--proxy-tls-address`.
    package var listener: String?
    /// `1.2` or `1.3`; `nil` without a `tls:` section.
    package var minVersion: String?
    package var clientCAFile: String?
    /// The default certificate first, then the SNI ones; empty without a `tls:` section.
    package var certificates: [CertificateStatus]

    /// The status of `settings`, reading each certificate file through `summarise`.
    package init(
        listener: String?, settings: TLSSettings?, now: Date = Date(),
        summarise: (String) -> Result<CertificateSummary, TLSFileProblem> = TLSStatus.summarise
    ) {
        self.listener = listener
        minVersion = settings?.minVersion.rawValue
        clientCAFile = settings?.clientCAFile
        certificates = (settings?.allCertificates ?? []).enumerated().map { index, pair in
            CertificateStatus(pair, isDefault: index == 0, summary: summarise(pair.certFile), now: now)
        }
    }

    /// Reads a certificate file from disk.
    package static func summarise(_ file: String) -> Result<CertificateSummary, TLSFileProblem> {
        Result(catching: { () throws(TLSFileProblem) -> CertificateSummary in try CertificateSummary(file: file) })
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(listener, forKey: .listener)
        try container.encode(minVersion, forKey: .minVersion)
        try container.encode(clientCAFile, forKey: .clientCAFile)
        try container.encode(certificates, forKey: .certificates)
    }

    enum CodingKeys: String, CodingKey {
        case listener
        case minVersion = "min_version"
        case clientCAFile = "client_ca_file"
        case certificates
    }
}
