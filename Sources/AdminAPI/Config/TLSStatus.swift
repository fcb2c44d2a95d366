/// `/config/status`'s `tls`: the TLS listener and, for each certificate of the settings the
/// replicas serve (the current snapshot's), what its file holds as the control plane reads it.
package struct TLSStatus: Codable, Sendable, Equatable {
    /// One certificate and key pair of the settings.
    package struct CertificateStatus: Codable, Sendable, Equatable {
        package var certFile: String
        package var keyFile: String
        /// Whether it is the default certificate (the section's own `cert_file`), served when no
        /// other one matches the client's SNI name.
        package var isDefault: Bool
        @NullEncoded package var subject: String?
        package var dnsNames: [String]
        package var ipAddresses: [String]
        /// ISO 8601 UTC.
        @NullEncoded package var notBefore: String?
        /// ISO 8601 UTC.
        @NullEncoded package var notAfter: String?
        /// Whole days until `not_after`, negative once expired.
        @NullEncoded package var daysLeft: Int?
        package var expired: Bool
        /// Under ``TLSStatus/warningDays`` days left (or expired).
        package var expiresSoon: Bool
        /// Why the file could not be read, when it could not.
        @NullEncoded package var error: String?

        package init(
            certFile: String, keyFile: String, isDefault: Bool, subject: String? = nil, dnsNames: [String],
            ipAddresses: [String], notBefore: String? = nil, notAfter: String? = nil, daysLeft: Int? = nil,
            expired: Bool, expiresSoon: Bool, error: String? = nil
        ) {
            self.certFile = certFile
            self.keyFile = keyFile
            self.isDefault = isDefault
            self.subject = subject
            self.dnsNames = dnsNames
            self.ipAddresses = ipAddresses
            self.notBefore = notBefore
            self.notAfter = notAfter
            self.daysLeft = daysLeft
            self.expired = expired
            self.expiresSoon = expiresSoon
            self.error = error
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

    /// The TLS listener's address; `null` without `--proxy-tls-address`.
    @NullEncoded package var listener: String?
    /// `1.2` or `1.3`; `null` without a `tls:` section.
    @NullEncoded package var minVersion: String?
    @NullEncoded package var clientCAFile: String?
    /// The default certificate first, then the SNI ones; empty without a `tls:` section.
    package var certificates: [CertificateStatus]

    package init(
        listener: String? = nil, minVersion: String? = nil, clientCAFile: String? = nil,
        certificates: [CertificateStatus]
    ) {
        self.listener = listener
        self.minVersion = minVersion
        self.clientCAFile = clientCAFile
        self.certificates = certificates
    }

    enum CodingKeys: String, CodingKey {
        case listener
        case minVersion = "min_version"
        case clientCAFile = "client_ca_file"
        case certificates
    }

    /// Fewer days left than this is `expires_soon`.
    package static let warningDays = 14
}
