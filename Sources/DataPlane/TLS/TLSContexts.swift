import Foundation
import NIOSSL
import Shared

/// The server TLS contexts of one `tls:` section as loaded from its files: one per certificate,
/// the default first, each with the names it covers. Immutable: a reload builds a new set, and a
/// connection keeps the context it started its handshake with.
package final class TLSContexts: Sendable {
    /// The protocols offered in ALPN, in order of preference.
    package static let applicationProtocols = ["h2", "http/1.1"]

    /// One context per certificate of the settings, the default first.
    package let contexts: [NIOSSLContext]
    /// The DNS names each certificate covers (its subject alternative names, else its common name).
    package let names: [[String]]
    /// The settings these were loaded from.
    package let settings: TLSSettings

    package init(contexts: [NIOSSLContext], names: [[String]], settings: TLSSettings) {
        precondition(!contexts.isEmpty && contexts.count == names.count)
        self.contexts = contexts
        self.names = names
        self.settings = settings
    }

    /// The context for a client that asked for `serverName` (SNI), or the default one.
    package func context(forServerName serverName: String?) -> NIOSSLContext {
        contexts[TLSServerName.choose(serverName, names: names)]
    }

    /// Reads every certificate and key of `settings` (and the client CA, if any) and builds their
    /// contexts: the minimum version, ALPN `h2` and `http/1.1`, and with a client CA, a
    /// certificate required from every client and verified against that CA. Throws
    /// ``TLSLoadError`` naming the file that could not be used.
    package static func load(_ settings: TLSSettings) throws(TLSLoadError) -> TLSContexts {
        var contexts: [NIOSSLContext] = []
        var names: [[String]] = []
        var clientRoots: [NIOSSLCertificate]?
        if let clientCA = settings.clientCAFile {
            do {
                clientRoots = try NIOSSLCertificate.fromPEMFile(clientCA)
            } catch {
                throw TLSLoadError(file: clientCA, reason: "\(error)")
            }
            guard clientRoots?.isEmpty == false else {
                throw TLSLoadError(file: clientCA, reason: "no certificate in the file")
            }
        }
        for certificate in settings.allCertificates {
            let chain: [NIOSSLCertificate]
            do {
                chain = try NIOSSLCertificate.fromPEMFile(certificate.certFile)
            } catch {
                throw TLSLoadError(file: certificate.certFile, reason: "\(error)")
            }
            guard let leaf = chain.first else {
                throw TLSLoadError(file: certificate.certFile, reason: "no certificate in the file")
            }
            let key: NIOSSLPrivateKey
            do {
                key = try NIOSSLPrivateKey(file: certificate.keyFile, format: .pem)
            } catch {
                throw TLSLoadError(file: certificate.keyFile, reason: "\(error)")
            }
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
            configuration.minimumTLSVersion = settings.minVersion == .tls13 ? .tlsv13 : .tlsv12
            configuration.applicationProtocols = applicationProtocols
            if let clientRoots {
                configuration.certificateVerification = .noHostnameVerification
                configuration.trustRoots = .certificates(clientRoots)
            }
            do {
                contexts.append(try NIOSSLContext(configuration: configuration))
            } catch {
                // Most often a key that does not belong to the certificate.
                throw TLSLoadError(
                    file: certificate.keyFile, reason: "cannot be used with \(certificate.certFile): \(error)")
            }
            names.append(dnsNames(of: leaf))
        }
        return TLSContexts(contexts: contexts, names: names, settings: settings)
    }

    /// The DNS subject alternative names of `certificate`, or its common name when it has none.
    static func dnsNames(of certificate: NIOSSLCertificate) -> [String] {
        let alternatives = certificate._subjectAlternativeNames().compactMap { name -> String? in
            guard name.nameType == .dnsName else { return nil }
            return String(decoding: name.contents, as: UTF8.self)
        }
        if !alternatives.isEmpty { return alternatives }
        return commonName(of: certificate).map { [$0] } ?? []
    }

    /// The subject's common name, as NIOSSL shows it in the certificate's description (the
    /// library has no public accessor for it).
    static func commonName(of certificate: NIOSSLCertificate) -> String? {
        let description = certificate.description
        guard let start = description.range(of: ";common_name=") else { return nil }
        let rest = description[start.upperBound...]
        let end = rest.firstIndex { $0 == ";" || $0 == ">" } ?? rest.endIndex
        let name = String(rest[..<end])
        return name.isEmpty ? nil : name
    }
}

/// A certificate, key or CA file that could not be loaded.
package struct TLSLoadError: Error, CustomStringConvertible, Equatable {
    package var file: String
    package var reason: String

    package init(file: String, reason: String) {
        self.file = file
        self.reason = reason
    }

    package var description: String { "\(file): \(reason)" }
}
