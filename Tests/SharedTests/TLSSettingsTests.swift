import Foundation
import Shared
import Testing

/// The config file's `tls:` section: its shape, every bad field named with its path and line, and
/// how it travels in snapshots.
@Suite struct TLSSettingsTests {
    static func parse(_ tls: String) throws(ValidationError) -> TLSSettings? {
        try GatewayConfig.parse(yaml: "endpoints: []\ntls:\n" + tls).tls
    }

    /// The issues of a `tls:` section that must be refused, by field.
    static func issues(_ tls: String) -> [String: ValidationIssue] {
        do {
            _ = try parse(tls)
            Issue.record("accepted: \(tls)")
            return [:]
        } catch {
            return Dictionary(error.issues.map { ($0.field ?? "", $0) }, uniquingKeysWith: { first, _ in first })
        }
    }

    @Test func aFullSectionIsRead() throws {
        let tls = try #require(
            try Self.parse(
                """
                  cert_file: /etc/orch/tls/default.pem
                  key_file: /etc/orch/tls/default.key
                  certificates:
                    - cert_file: /etc/orch/tls/api.pem
                      key_file: /etc/orch/tls/api.key
                    - {cert_file: /etc/orch/tls/www.pem, key_file: /etc/orch/tls/www.key}
                  min_version: "1.3"
                  client_ca_file: /etc/orch/tls/clients.pem
                """))
        #expect(tls.certFile == "/etc/orch/tls/default.pem")
        #expect(tls.keyFile == "/etc/orch/tls/default.key")
        #expect(
            tls.certificates == [
                .init(certFile: "/etc/orch/tls/api.pem", keyFile: "/etc/orch/tls/api.key"),
                .init(certFile: "/etc/orch/tls/www.pem", keyFile: "/etc/orch/tls/www.key"),
            ])
        #expect(tls.minVersion == .tls13)
        #expect(tls.clientCAFile == "/etc/orch/tls/clients.pem")
        #expect(tls.allCertificates.map(\.certFile).first == "/etc/orch/tls/default.pem")
        #expect(tls.files.count == 7)
    }

    @Test func onlyTheDefaultPairIsRequired() throws {
        let tls = try #require(try Self.parse("  cert_file: c.pem\n  key_file: k.pem\n"))
        #expect(tls == TLSSettings(certFile: "c.pem", keyFile: "k.pem"))
        #expect(tls.minVersion == .tls12)
        #expect(tls.certificates.isEmpty)
        #expect(tls.clientCAFile == nil)
        #expect(try GatewayConfig.parse(yaml: "endpoints: []\n").tls == nil)
    }

    @Test func minVersionWrittenAsAYAMLNumberWorks() throws {
        #expect(try Self.parse("  cert_file: c\n  key_file: k\n  min_version: 1.2\n")?.minVersion == .tls12)
        #expect(try Self.parse("  cert_file: c\n  key_file: k\n  min_version: 1.3\n")?.minVersion == .tls13)
        #expect(try Self.parse("  cert_file: c\n  key_file: k\n  min_version: \"1.2\"\n")?.minVersion == .tls12)
    }

    @Test func eachBadFieldIsNamedWithItsPathAndLine() {
        // Line 1 is `endpoints: []`, line 2 `tls:`.
        let missing = Self.issues("  key_file: 5\n  colour: blue\n")
        #expect(missing["tls.cert_file"]?.message == "is required")
        #expect(missing["tls.colour"] != nil, "\(missing)")
        #expect(missing["tls.colour"]?.line == 4)

        let version = Self.issues("  cert_file: c\n  key_file: k\n  min_version: 1.1\n")
        #expect(version["tls.min_version"]?.message == "must be 1.2 or 1.3")
        #expect(version["tls.min_version"]?.line == 5)

        let sni = Self.issues(
            "  cert_file: c\n  key_file: k\n  certificates:\n    - cert_file: a.pem\n    - cert_file: b.pem\n      key_file: \"\"\n"
        )
        #expect(sni["tls.certificates[0].key_file"]?.message == "is required", "\(sni)")
        #expect(sni["tls.certificates[1].key_file"]?.message.contains("must be a file path") == true, "\(sni)")
        #expect(sni["tls.certificates[1].key_file"]?.line == 8)

        let types = Self.issues("  cert_file: [a]\n  key_file: k\n  certificates: c.pem\n  client_ca_file: \"\"\n")
        #expect(types["tls.cert_file"]?.message.contains("must be a string") == true, "\(types)")
        #expect(types["tls.certificates"] != nil, "\(types)")
        #expect(types["tls.client_ca_file"]?.message.contains("must be a file path") == true, "\(types)")

        let many = (0..<64).map { "    - {cert_file: c\($0), key_file: k\($0)}\n" }.joined()
        let tooMany = Self.issues("  cert_file: c\n  key_file: k\n  certificates:\n" + many)
        #expect(tooMany["tls.certificates"]?.message == "at most 63 further certificates", "\(tooMany)")

        let notAMapping = Self.issues("  - c.pem\n")
        #expect(notAMapping["tls"] != nil, "\(notAMapping)")
    }

    static let endpoints = SnapshotTests.snapshot.endpoints
    static let settings = TLSSettings(
        certFile: "/etc/orch/tls/default.pem", keyFile: "/etc/orch/tls/default.key",
        certificates: [.init(certFile: "/etc/orch/tls/api.pem", keyFile: "/etc/orch/tls/api.key")], minVersion: .tls13)

    @Test func withoutTLSTheSnapshotKeepsItsJSONAndChecksum() throws {
        let plain = Snapshot(version: 3, createdAt: "2026-11-26T14:02:38Z", cause: "t", endpoints: Self.endpoints)
        #expect(plain.checksum == Snapshot.checksum(of: Self.endpoints))
        #expect(Snapshot.legacyChecksum(of: Self.endpoints) == Snapshot.fnv1a(Snapshot.canonicalJSON(Self.endpoints)))
        #expect(!String(decoding: Snapshot.canonicalJSON(plain), as: UTF8.self).contains("tls"))
        let limited = Snapshot(
            version: 3, createdAt: "2026-11-26T14:02:38Z", cause: "t", endpoints: Self.endpoints,
            proxy: SnapshotTests.limits)
        #expect(limited.checksum == Snapshot.checksum(of: Self.endpoints, proxy: SnapshotTests.limits))
        #expect(Snapshot.checksum(of: Self.endpoints, proxy: SnapshotTests.limits, tls: nil) == limited.checksum)
    }

    @Test func tlsIsCoveredByTheChecksumAndRoundTripsThroughTheValidator() throws {
        let snapshot = Snapshot(
            version: 9, createdAt: "2026-11-26T14:02:38Z", cause: "config file changed", endpoints: Self.endpoints,
            tls: Self.settings)
        #expect(snapshot.checksum != Snapshot.checksum(of: Self.endpoints))
        var other = Self.settings
        other.minVersion = .tls12
        #expect(Snapshot.checksum(of: Self.endpoints, tls: other) != snapshot.checksum)

        let object = try #require(
            JSONSerialization.jsonObject(with: Snapshot.canonicalJSON(snapshot)) as? [String: Any])
        let tls = try #require(object["tls"] as? [String: Any])
        #expect(tls["cert_file"] as? String == "/etc/orch/tls/default.pem")
        #expect(tls["min_version"] as? String == "1.3")
        guard
            case .message(.snapshot(let received)) = try ControlPlaneMessage.decode(
                ControlPlaneMessage.snapshot(snapshot).encoded())
        else {
            Issue.record("not a snapshot")
            return
        }
        #expect(received == snapshot)
        #expect(received.tls == Self.settings)

        var text = String(decoding: ControlPlaneMessage.snapshot(snapshot).encoded(), as: UTF8.self)
        text = text.replacingOccurrences(of: "/etc/orch/tls/api.key", with: "/tmp/other.key")
        guard case .invalidSnapshot(_, let error) = try ControlPlaneMessage.decode(Data(text.utf8)) else {
            Issue.record("tampered TLS settings accepted")
            return
        }
        #expect(error.description.contains("checksum"))
    }

    @Test func helloCarriesTheTLSListenerOnlyWhenThereIsOne() throws {
        let hello = DataPlaneMessage.hello(
            .init(replicaId: "r", pid: 1, version: nil, inheritedListener: true, inheritedTLSListener: true))
        let text = String(decoding: try JSONEncoder().encode(hello), as: UTF8.self)
        #expect(text.contains(#""inherited_tls_listener":true"#))
        #expect(try JSONDecoder().decode(DataPlaneMessage.self, from: Data(text.utf8)) == hello)
        let plain = DataPlaneMessage.hello(.init(replicaId: "r", pid: 1, version: nil, inheritedListener: true))
        #expect(!String(decoding: try JSONEncoder().encode(plain), as: UTF8.self).contains("tls"))
    }

    @Test func listenerNamesAndHandOverBytes() {
        #expect(InheritedListener.fileDescriptorNames([.proxy]) == "proxy")
        #expect(InheritedListener.fileDescriptorNames([.proxy, .proxyTLS]) == "proxy:proxy-tls")
        #expect(InheritedListener.proxy.handOverMarker == UInt8(ascii: "L"))
        #expect(InheritedListener(handOverMarker: UInt8(ascii: "T")) == .proxyTLS)
        #expect(InheritedListener(handOverMarker: 1) == nil)
    }
}
