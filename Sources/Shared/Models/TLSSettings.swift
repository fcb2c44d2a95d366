/// The config file's `tls:` section: what the replicas' TLS listener serves. Paths are read by
/// each replica itself (and watched for changes), so a replica on another machine uses its own
/// files under the same paths.
public struct TLSSettings: Sendable, Equatable, Codable {
    /// A certificate chain and its private key, both PEM files.
    public struct Certificate: Sendable, Equatable, Codable {
        /// PEM certificate, optionally followed by its intermediates (leaf first).
        public var certFile: String
        /// PEM private key of the leaf certificate.
        public var keyFile: String

        public init(certFile: String, keyFile: String) {
            self.certFile = certFile
            self.keyFile = keyFile
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case certFile = "cert_file"
            case keyFile = "key_file"
        }

        static let allowedKeys = Set(CodingKeys.allCases.map(\.rawValue))
    }

    /// The oldest protocol version a client may negotiate.
    public enum MinimumVersion: String, Sendable, Equatable, Codable, CaseIterable {
        case tls12 = "1.2"
        case tls13 = "1.3"
    }

    /// The default certificate: served when the client sends no SNI name, or one that no
    /// certificate covers.
    public var certFile: String
    public var keyFile: String
    /// Further certificates, picked by the SNI name against their subject alternative names.
    public var certificates: [Certificate]
    public var minVersion: MinimumVersion
    /// When set, clients must present a certificate signed by a CA in this PEM file.
    public var clientCAFile: String?

    public init(
        certFile: String, keyFile: String, certificates: [Certificate] = [], minVersion: MinimumVersion = .tls12,
        clientCAFile: String? = nil
    ) {
        self.certFile = certFile
        self.keyFile = keyFile
        self.certificates = certificates
        self.minVersion = minVersion
        self.clientCAFile = clientCAFile
    }

    /// The default certificate first, then the others in their order.
    public var allCertificates: [Certificate] {
        [Certificate(certFile: certFile, keyFile: keyFile)] + certificates
    }

    /// Every file the settings name, in a stable order: what a replica watches for changes.
    public var files: [String] {
        allCertificates.flatMap { [$0.certFile, $0.keyFile] } + (clientCAFile.map { [$0] } ?? [])
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case certFile = "cert_file"
        case keyFile = "key_file"
        case certificates
        case minVersion = "min_version"
        case clientCAFile = "client_ca_file"
    }

    static let allowedKeys = Set(CodingKeys.allCases.map(\.rawValue))

    /// The most certificates one listener serves (the default and 63 more).
    public static let maximumCertificates = 64

    /// Reads a `tls:` section (a config file's or a snapshot's). Checks the shape only: whether
    /// the files exist and hold a usable certificate and key is for whoever loads them.
    static func read(_ reader: ObjectReader) -> TLSSettings? {
        let context = reader.validationContext
        let before = context.issues.count
        let certFile = Self.path(reader, CodingKeys.certFile.rawValue, required: true)
        let keyFile = Self.path(reader, CodingKeys.keyFile.rawValue, required: true)
        let certificates =
            reader.list(CodingKeys.certificates.rawValue) { node, path -> Certificate? in
                guard let entry = ObjectReader(node, path: path, allowedKeys: Certificate.allowedKeys, context: context)
                else { return nil }
                guard let cert = Self.path(entry, Certificate.CodingKeys.certFile.rawValue, required: true),
                    let key = Self.path(entry, Certificate.CodingKeys.keyFile.rawValue, required: true)
                else { return nil }
                return Certificate(certFile: cert, keyFile: key)
            } ?? []
        if certificates.count + 1 > maximumCertificates {
            reader.fail(CodingKeys.certificates.rawValue, "at most \(maximumCertificates - 1) further certificates")
        }
        var minVersion = MinimumVersion.tls12
        if reader.has(CodingKeys.minVersion.rawValue) {
            let text = reader.string(CodingKeys.minVersion.rawValue)
            if let text, let version = MinimumVersion(rawValue: text) {
                minVersion = version
            } else if text != nil {
                reader.fail(CodingKeys.minVersion.rawValue, "must be 1.2 or 1.3")
            }
        }
        let clientCAFile = Self.path(reader, CodingKeys.clientCAFile.rawValue, required: false)
        guard let certFile, let keyFile, context.issues.count == before else { return nil }
        return TLSSettings(
            certFile: certFile, keyFile: keyFile, certificates: certificates, minVersion: minVersion,
            clientCAFile: clientCAFile)
    }

    /// A file path: a non-empty string without control characters, at most 4096 bytes.
    private static func path(_ reader: ObjectReader, _ key: String, required: Bool) -> String? {
        guard reader.has(key) else {
            if required { reader.fail(key, "is required") }
            return nil
        }
        guard let text = reader.string(key) else { return nil }
        guard !text.isEmpty, text.utf8.count <= 4096, !text.unicodeScalars.contains(where: { $0.value < 0x20 })
        else {
            reader.fail(key, "must be a file path (1 to 4096 bytes, no control characters)")
            return nil
        }
        return text
    }
}
