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

        /// `GET path` through the admin router.
        func get(_ path: String) async throws -> [String: Any] {
            try await request(.get, path)
        }

        /// `method path` through the admin router; expects 200.
        func request(_ method: HTTPRequest.Method, _ path: String, body: String? = nil) async throws -> [String: Any] {
            let (status, json) = try await send(method, path, body: body)
            #expect(status == 200, "\(json)")
            return json
        }

        /// `method path` through the admin router: the status and the JSON body.
        func send(
            _ method: HTTPRequest.Method, _ path: String, body: String? = nil
        ) async throws -> (status: Int, json: [String: Any]) {
            let application = Application(router: AdminServer.router(services: services, token: "test-token"))
            let (status, data) = try await application.test(.router) { client in
                try await client.execute(
                    uri: path, method: method, headers: [.authorization: "Bearer test-token"],
                    body: body.map { ByteBuffer(string: $0) }
                ) { response in
                    (response.status.code, Data(response.body.readableBytesView))
                }
            }
            return (status, try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:])
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
        let status = try await gateway.get("/config/status")
        let errors = status["last_reload_errors"] as? [[String: Any]] ?? []
        #expect(errors.first?["field"] as? String == "tls.cert_file", "\(status)")
        #expect((status["last_reload_error"] as? String)?.contains(missing) == true)
        let tls = status["tls"] as? [String: Any]
        #expect((tls?["certificates"] as? [[String: Any]])?.first?["cert_file"] as? String == gateway.site.certFile)
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
        let tls = try #require(try await gateway.get("/config/status")["tls"] as? [String: Any])
        #expect(tls["listener"] as? String == "127.0.0.1:8443")
        #expect(tls["min_version"] as? String == "1.2")
        #expect(tls["client_ca_file"] as? String == gateway.site.certFile)
        let certificates = try #require(tls["certificates"] as? [[String: Any]])
        #expect(certificates.count == 3)

        let site = certificates[0]
        #expect(site["cert_file"] as? String == gateway.site.certFile)
        #expect(site["key_file"] as? String == gateway.site.keyFile)
        #expect(site["default"] as? Bool == true)
        #expect(site["subject"] as? String == "CN=gateway.test")
        #expect(site["dns_names"] as? [String] == ["gateway.test", "www.gateway.test"])
        #expect(site["ip_addresses"] as? [String] == ["127.0.0.1", "::1"])
        #expect(site["days_left"] as? Int == 90)
        #expect(site["expires_soon"] as? Bool == false)
        #expect(site["expired"] as? Bool == false)
        #expect(site["error"] is NSNull)
        let notAfter = try #require(site["not_after"] as? String)
        #expect(notAfter.hasSuffix("Z") && notAfter.count == 20, "\(notAfter)")
        #expect((site["not_before"] as? String)?.hasSuffix("Z") == true)

        let soon = certificates[1]
        #expect(soon["default"] as? Bool == false)
        #expect(soon["subject"] as? String == "CN=soon.test")
        #expect(soon["days_left"] as? Int == 3)
        #expect(soon["expires_soon"] as? Bool == true)

        let gone = certificates[2]
        #expect(gone["subject"] is NSNull)
        #expect(gone["days_left"] is NSNull)
        #expect(gone["dns_names"] as? [String] == [])
        #expect(gone["error"] as? String == "cannot read certificate file \(missing): No such file or directory")

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
                ]))
        #expect(same["tls_changed"] as? Bool == false, "\(same)")
        let other = try await gateway.request(.post, "/config/diff", body: Self.endpoints)
        #expect(other["tls_changed"] as? Bool == true, "\(other)")
    }

    @Test func configStatusWithoutTLSHasNoListenerAndNoCertificates() async throws {
        let gateway = try await Gateway()
        defer { gateway.directory.remove() }
        try await gateway.load(Self.endpoints)
        let tls = try #require(try await gateway.get("/config/status")["tls"] as? [String: Any])
        #expect(tls["listener"] is NSNull)
        #expect(tls["min_version"] is NSNull)
        #expect(tls["client_ca_file"] is NSNull)
        #expect((tls["certificates"] as? [Any])?.isEmpty == true)
    }

    @Test func anEndpointImportWithATLSSectionIsRefused() async throws {
        let gateway = try await Gateway()
        defer { gateway.directory.remove() }
        let refused = try await gateway.send(
            .post, "/registry/import", body: "endpoints: []\ntls:\n  cert_file: a.pem\n  key_file: a.key\n")
        #expect(refused.status == 422)
        #expect((refused.json["detail"] as? String)?.contains("tls") == true, "\(refused.json)")
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
