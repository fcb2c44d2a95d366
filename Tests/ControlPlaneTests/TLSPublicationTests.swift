import AdminAPI
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Shared
import TestSupport
import Testing

@testable import ControlPlane

/// The config file's `tls:` section in the control plane, in-process: stored like the `proxy:`
/// section, put into every snapshot, checked when the control plane has a TLS listener, and shown
/// in `/config/status` (through the admin router, without a server).
@Suite struct TLSPublicationTests {
    /// A store, a registry, the config source on `config.yaml` and the admin services, in a fresh
    /// directory with a CA and certificates.
    struct Gateway {
        let directory: TestDirectory
        let store: Store
        let registry: EndpointRegistry
        let source: ConfigSource
        var services: AdminServices
        let site: TestCertificateAuthority.Issued
        let api: TestCertificateAuthority.Issued
        let soon: TestCertificateAuthority.Issued
        static let logger = Logger(label: "tls-publication-test")

        init(requiresTLS: Bool = false) async throws {
            directory = try TestDirectory()
            let authority = try TestCertificateAuthority()
            site = try authority.issue(
                "site", in: directory, commonName: "gateway.test", dnsNames: ["gateway.test", "www.gateway.test"],
                ipAddresses: ["127.0.0.1", "::1"], notValidAfter: Date().addingTimeInterval(90 * 86_400 + 3600),
                withChain: true)
            api = try authority.issue("api", in: directory, commonName: "api.test", dnsNames: ["api.test"])
            soon = try authority.issue(
                "soon", in: directory, commonName: "soon.test", dnsNames: ["soon.test"],
                notValidAfter: Date().addingTimeInterval(3 * 86_400 + 3600))
            store = try Store(path: directory.file("store.sqlite").path)
            let publisher = SnapshotPublisher(logger: Self.logger)
            registry = try await EndpointRegistry(
                store: store, configPath: directory.file("config.yaml").path, publisher: publisher,
                logger: Self.logger)
            source = ConfigSource(
                path: directory.file("config.yaml").path, registry: registry, logger: Self.logger,
                requiresTLS: requiresTLS)
            services = AdminServices(
                registry: registry, config: source, publisher: publisher, store: store,
                checker: HealthChecker(registry: registry, logger: Self.logger), startedAt: Date(),
                logger: Self.logger)
        }

        /// Writes `config.yaml` and loads it.
        @discardableResult
        func load(_ text: String) async throws -> ConfigSource.LoadResult {
            try directory.write(text, to: "config.yaml")
            return await source.load(cause: "config file changed")
        }

        /// `GET path` through the admin router; expects 200.
        func get(_ path: String) async throws -> Answer {
            try await request(.get, path)
        }

        /// `method path` through the admin router; expects 200.
        func request(_ method: HTTPRequest.Method, _ path: String, body: String? = nil) async throws -> Answer {
            let answer = try await send(method, path, body: body)
            #expect(answer.status == 200, "\(answer.text)")
            return answer
        }

        /// `method path` through the admin router: the status and the body.
        func send(_ method: HTTPRequest.Method, _ path: String, body: String? = nil) async throws -> Answer {
            let application = Application(router: AdminServer.router(services: services, token: "test-token"))
            let (status, data) = try await application.test(.router) { client in
                try await client.execute(
                    uri: path, method: method, headers: [.authorization: "Bearer test-token"],
                    body: body.map { ByteBuffer(string: $0) }
                ) { response in
                    (response.status.code, Data(response.body.readableBytesView))
                }
            }
            return Answer(status: Int(status), body: data)
        }
    }

    /// An admin answer through the router.
    struct Answer {
        var status: Int
        var body: Data

        var text: String { String(decoding: body, as: UTF8.self) }

        /// The body decoded as `type` (an `AdminAPI` type).
        func decode<Value: Decodable>(_ type: Value.Type) throws -> Value {
            try JSONDecoder().decode(type, from: body)
        }

        /// The body as a JSON object, for what a decode cannot show: a key present as `null`.
        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
        }
    }

    static let endpoints = """
        health_check:
          enabled: false
        endpoints:
          - name: svc
            url: http://127.0.0.1:9/api
        """

    static func config(_ gateway: Gateway, tls lines: [String]) -> String {
        endpoints + "\ntls:\n" + lines.map { "  " + $0 + "\n" }.joined()
    }

    /// The line of `tls:` in ``config(_:tls:)``.
    static let tlsLine = endpoints.split(separator: "\n", omittingEmptySubsequences: false).count + 1

    @Test func theSectionIsStoredPublishedAndKeptOverARestartAndARollback() async throws {
        let gateway = try await Gateway()
        defer { gateway.directory.remove() }
        try await gateway.load(Self.endpoints)
        let plain = await gateway.registry.current
        #expect(plain.tls == nil)

        let settings = TLSSettings(
            certFile: gateway.site.certFile, keyFile: gateway.site.keyFile,
            certificates: [.init(certFile: gateway.api.certFile, keyFile: gateway.api.keyFile)], minVersion: .tls13)
        try await gateway.load(
            Self.config(
                gateway,
                tls: [
                    "cert_file: \(gateway.site.certFile)", "key_file: \(gateway.site.keyFile)", "certificates:",
                    "  - cert_file: \(gateway.api.certFile)", "    key_file: \(gateway.api.keyFile)",
                    "min_version: 1.3",
                ]))
        let withTLS = await gateway.registry.current
        #expect(withTLS.version > plain.version)
        #expect(withTLS.tls == settings)
        #expect(withTLS.endpoints == plain.endpoints)
        let stored = try await gateway.store.read { db in try SnapshotRecord.find(db, version: withTLS.version) }
        #expect(stored?.tls == settings)
        #expect(stored?.checksum == withTLS.checksum)

        // A restart on the same store publishes the same snapshot again: no new version.
        let restarted = try await EndpointRegistry(
            store: gateway.store, configPath: gateway.directory.file("config.yaml").path,
            publisher: SnapshotPublisher(logger: Gateway.logger), logger: Gateway.logger)
        #expect(await restarted.current.version == withTLS.version)
        #expect(await restarted.current.tls == settings)

        // A rollback restores the endpoints (version 1: none, the empty store at first start), not
        // older certificates: TLS follows the file.
        let rolled = try await gateway.registry.rollback(to: 1)
        #expect(rolled.version > withTLS.version)
        #expect(rolled.endpoints.isEmpty)
        #expect(rolled.tls == settings)

        // Removing the section goes back to snapshots without it, with the checksum they had.
        try await gateway.load(Self.endpoints)
        let removed = await gateway.registry.current
        #expect(removed.tls == nil)
        #expect(removed.checksum == plain.checksum)
    }

    @Test func withATLSListenerAnEditWhoseFilesDoNotLoadIsRefusedAndTheOldSettingsServe() async throws {
        let gateway = try await Gateway(requiresTLS: true)
        defer { gateway.directory.remove() }
        let good = Self.config(
            gateway, tls: ["cert_file: \(gateway.site.certFile)", "key_file: \(gateway.site.keyFile)"])
        guard case .applied = try await gateway.load(good) else {
            let error = await gateway.source.lastError
            Issue.record("a usable tls: section was refused: \(String(describing: error))")
            return
        }
        let applied = await gateway.registry.current
        #expect(applied.tls?.certFile == gateway.site.certFile)

        let missing = gateway.directory.file("missing.pem").path
        let bad = Self.config(gateway, tls: ["cert_file: \(missing)", "key_file: \(gateway.site.keyFile)"])
        guard case .invalid(let error) = try await gateway.load(bad) else {
            Issue.record("a certificate file that does not exist was accepted")
            return
        }
        #expect(error.issues.map(\.field) == ["tls.cert_file"])
        #expect(error.issues.first?.line == Self.tlsLine + 1)
        #expect(error.issues.first?.message == "cannot read certificate file \(missing): No such file or directory")
        #expect(await gateway.registry.current == applied)

        let mismatched = Self.config(
            gateway, tls: ["cert_file: \(gateway.site.certFile)", "key_file: \(gateway.api.keyFile)"])
        guard case .invalid(let mismatch) = try await gateway.load(mismatched) else {
            Issue.record("a key that does not match its certificate was accepted")
            return
        }
        #expect(mismatch.issues.map(\.field) == ["tls.key_file"])
        #expect(mismatch.issues.first?.line == Self.tlsLine + 2)

        guard case .invalid(let none) = try await gateway.load(Self.endpoints) else {
            Issue.record("removing the tls: section was accepted while a TLS listener serves")
            return
        }
        #expect(none.issues.map(\.field) == ["tls"])
        try FileManager.default.removeItem(at: gateway.directory.file("config.yaml"))
        guard case .invalid = await gateway.source.load(cause: "config file changed") else {
            Issue.record("deleting the config file was accepted while a TLS listener serves")
            return
        }
        #expect(await gateway.registry.current == applied)

        // The refusal shows in /config/status like any invalid edit.
        try await gateway.load(bad)
        let status = try await gateway.get("/config/status").decode(ConfigStatus.self)
        #expect(status.lastReloadErrors.first?.field == "tls.cert_file", "\(status)")
        #expect(status.lastReloadError?.contains(missing) == true)
        #expect(status.tls.certificates.first?.certFile == gateway.site.certFile)
    }

    @Test func withoutATLSListenerOnlyTheShapeIsChecked() async throws {
        let gateway = try await Gateway()
        defer { gateway.directory.remove() }
        // The files may exist only where remote replicas run.
        let elsewhere = Self.config(gateway, tls: ["cert_file: /srv/tls/site.pem", "key_file: /srv/tls/site.key"])
        guard case .applied(let config, _) = try await gateway.load(elsewhere) else {
            Issue.record("a tls: section naming files elsewhere was refused")
            return
        }
        #expect(config.tls?.certFile == "/srv/tls/site.pem")
        guard case .invalid(let error) = try await gateway.load(Self.config(gateway, tls: ["cert_file: x"])) else {
            Issue.record("a tls: section without key_file was accepted")
            return
        }
        #expect(error.issues.map(\.field) == ["tls.key_file"])
    }

    @Test func configStatusShowsTheListenerAndEachCertificate() async throws {
        var gateway = try await Gateway()
        defer { gateway.directory.remove() }
        let missing = gateway.directory.file("gone.pem").path
        try await gateway.load(
            Self.config(
                gateway,
                tls: [
                    "cert_file: \(gateway.site.certFile)", "key_file: \(gateway.site.keyFile)", "certificates:",
                    "  - {cert_file: \(gateway.soon.certFile), key_file: \(gateway.soon.keyFile)}",
                    "  - {cert_file: \(missing), key_file: \(gateway.soon.keyFile)}",
                    "client_ca_file: \(gateway.site.certFile)",
                ]))
        gateway.services.tlsListener = "127.0.0.1:8443"
        let answer = try await gateway.get("/config/status")
        let tls = try answer.decode(ConfigStatus.self).tls
        #expect(tls.listener == "127.0.0.1:8443")
        #expect(tls.minVersion == "1.2")
        #expect(tls.clientCAFile == gateway.site.certFile)
        let certificates = tls.certificates
        try #require(certificates.count == 3)

        let site = certificates[0]
        #expect(site.certFile == gateway.site.certFile)
        #expect(site.keyFile == gateway.site.keyFile)
        #expect(site.isDefault == true)
        #expect(site.subject == "CN=gateway.test")
        #expect(site.dnsNames == ["gateway.test", "www.gateway.test"])
        #expect(site.ipAddresses == ["127.0.0.1", "::1"])
        #expect(site.daysLeft == 90)
        #expect(site.expiresSoon == false)
        #expect(site.expired == false)
        #expect(site.error == nil)
        let notAfter = try #require(site.notAfter)
        #expect(notAfter.hasSuffix("Z") && notAfter.count == 20, "\(notAfter)")
        #expect(site.notBefore?.hasSuffix("Z") == true)

        let soon = certificates[1]
        #expect(soon.isDefault == false)
        #expect(soon.subject == "CN=soon.test")
        #expect(soon.daysLeft == 3)
        #expect(soon.expiresSoon == true)

        let gone = certificates[2]
        #expect(gone.subject == nil)
        #expect(gone.daysLeft == nil)
        #expect(gone.dnsNames == [])
        #expect(gone.error == "cannot read certificate file \(missing): No such file or directory")

        // What a certificate lacks is `null`, not a missing key.
        let raw = try #require((answer.json["tls"] as? [String: Any])?["certificates"] as? [[String: Any]])
        try #require(raw.count == 3)
        #expect(raw[0]["error"] is NSNull)
        #expect(raw[2]["subject"] is NSNull)
        #expect(raw[2]["days_left"] is NSNull)

        // A document with other TLS settings differs; one with the same does not.
        let same = try await gateway.request(
            .post, "/config/diff",
            body: Self.config(
                gateway,
                tls: [
                    "cert_file: \(gateway.site.certFile)", "key_file: \(gateway.site.keyFile)", "certificates:",
                    "  - {cert_file: \(gateway.soon.certFile), key_file: \(gateway.soon.keyFile)}",
                    "  - {cert_file: \(missing), key_file: \(gateway.soon.keyFile)}",
                    "client_ca_file: \(gateway.site.certFile)",
                ])
        )
        .decode(ConfigDiff.self)
        #expect(same.tlsChanged == false, "\(same)")
        let other = try await gateway.request(.post, "/config/diff", body: Self.endpoints).decode(ConfigDiff.self)
        #expect(other.tlsChanged == true, "\(other)")
    }

    @Test func configStatusWithoutTLSHasNoListenerAndNoCertificates() async throws {
        let gateway = try await Gateway()
        defer { gateway.directory.remove() }
        try await gateway.load(Self.endpoints)
        let answer = try await gateway.get("/config/status")
        let tls = try answer.decode(ConfigStatus.self).tls
        #expect(tls.listener == nil)
        #expect(tls.minVersion == nil)
        #expect(tls.clientCAFile == nil)
        #expect(tls.certificates.isEmpty)
        // Present as `null`, not missing.
        let raw = try #require(answer.json["tls"] as? [String: Any])
        #expect(raw["listener"] is NSNull)
        #expect(raw["min_version"] is NSNull)
        #expect(raw["client_ca_file"] is NSNull)
    }

    @Test func anEndpointImportWithATLSSectionIsRefused() async throws {
        let gateway = try await Gateway()
        defer { gateway.directory.remove() }
        let refused = try await gateway.send(
            .post, "/registry/import", body: "endpoints: []\ntls:\n  cert_file: a.pem\n  key_file: a.key\n")
        #expect(refused.status == 422)
        guard case .message(let detail) = try refused.decode(ErrorBody.self).detail else {
            Issue.record("not a one-sentence detail: \(refused.text)")
            return
        }
        #expect(detail.contains("tls"), "\(detail)")
    }

    @Test func summariesCountWholeDaysAndWarnUnderFourteen() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let summary = CertificateSummary(
            subject: "CN=x", dnsNames: [], ipAddresses: [], notBefore: now.addingTimeInterval(-86_400),
            notAfter: now.addingTimeInterval(14 * 86_400 - 1))
        #expect(summary.daysLeft(at: now) == 13)
        #expect(summary.expires(within: TLSStatus.warningDays, of: now))
        #expect(!summary.expires(within: TLSStatus.warningDays, of: now.addingTimeInterval(-2)))
        #expect(summary.daysLeft(at: now.addingTimeInterval(15 * 86_400)) == -2)
        let status = TLSStatus(
            listener: nil, settings: TLSSettings(certFile: "a.pem", keyFile: "a.key"),
            now: now.addingTimeInterval(14 * 86_400)
        ) { _ in .success(summary) }
        #expect(status.certificates.first?.expired == true)
        #expect(status.certificates.first?.expiresSoon == true)
        #expect(status.certificates.first?.daysLeft == -1)
        #expect(CertificateSummary.ipText([192, 0, 2, 1]) == "192.0.2.1")
        #expect(
            CertificateSummary.ipText([0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1])
                == "2001:db8::1")
        #expect(CertificateSummary.ipText([1, 2]) == "0102")
    }
}
