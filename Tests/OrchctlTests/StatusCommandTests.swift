import AdminAPI
import Foundation
import Shared
import TestSupport
import Testing

/// `orchctl status`: control plane, replicas and endpoints on one screen.
@Suite(.endToEnd) struct StatusCommandTests {
    @Test func showsControlPlaneSnapshotAndEndpoints() async throws {
        let gateway = try await ControlPlaneHarness.start(config: OrchctlFixtures.config)
        defer { gateway.stop() }
        let version = try await OrchctlFixtures.currentVersion(gateway)
        let result = try await gateway.orchctl("status")
        #expect(result.status == 0, "\(result)")
        let lines = result.lines
        #expect(
            lines.first?.hasPrefix("Control plane  \(gateway.adminURL)  Orchestrator API 0.1.0, up ") == true,
            "\(result)")
        #expect(lines.contains("Status         healthy"), "\(result)")
        #expect(lines.contains("Snapshot       version \(version), config file loaded"), "\(result)")
        #expect(lines.contains("Timeouts       header 30s, body 60s, idle 75s, send 60s"), "\(result)")
        #expect(
            lines.contains(
                "Limits         16384 connections, URI 8192 B, request head 32768 B, 100 headers, 16 pipelined"),
            "\(result)")
        #expect(lines.contains("Replicas  0 connected, 0 gone"), "\(result)")
        #expect(lines.contains("Endpoints  3 total, 3 active"), "\(result)")
        let header = try #require(lines.first { $0.hasPrefix("  NAME") })
        #expect(header.split(separator: " ") == ["NAME", "STATUS", "HEALTH", "BREAKER", "OWNER", "URL"])
        let row = try #require(lines.first { $0.hasPrefix("  order_service") })
        #expect(
            row.split(separator: " ") == [
                "order_service", "active", "unknown", "closed", "file", "http://127.0.0.1:9/orders",
            ])
        // Columns line up: every row's URL starts where the header's does.
        let urlColumn = header.range(of: "URL")!.lowerBound.utf16Offset(in: header)
        for line in lines where line.hasPrefix("  ") && line.contains("http://") {
            #expect(line.range(of: "http://")!.lowerBound.utf16Offset(in: line) == urlColumn, "\(line)")
        }

        let json = try await gateway.orchctl("status", "--output", "json")
        // The six answers under their keys, each as its AdminAPI type. The object around them is
        // orchctl's own (no AdminAPI type), so its keys are read raw.
        #expect(Set(json.json.keys) == ["service", "health", "config", "dataplanes", "endpoints", "cluster"])
        #expect(try json.decode(ClusterStatus.self, at: "cluster").store == "sqlite")
        // On SQLite there is no cluster to show.
        #expect(!(try await gateway.orchctl("status")).stdout.contains("Cluster"))
        _ = try json.decode(ServiceDescription.self, at: "service")
        _ = try json.decode(DataPlaneListing.self, at: "dataplanes")
        #expect(try json.decode(GatewayHealth.self, at: "health").snapshotVersion == version)
        #expect(try json.decode(ConfigStatus.self, at: "config").proxy.maxHeaders == 100)
        #expect(try json.decode(EndpointList.self, at: "endpoints").endpoints.count == 3)
    }

    @Test func showsTheProxyLimitsOfTheConfigFileAndTheirChanges() async throws {
        let config = OrchctlFixtures.config + "\nproxy:\n  header_timeout: 0.5\n  max_connections: 2000\n"
        let gateway = try await ControlPlaneHarness.start(config: config)
        defer { gateway.stop() }
        let result = try await gateway.orchctl("status")
        #expect(result.status == 0, "\(result)")
        #expect(result.lines.contains("Timeouts       header 0.5s, body 60s, idle 75s, send 60s"), "\(result)")
        #expect(
            result.lines.contains(
                "Limits         2000 connections, URI 8192 B, request head 32768 B, 100 headers, 16 pipelined"),
            "\(result)")

        try gateway.writeConfig(config.replacingOccurrences(of: "max_connections: 2000", with: "max_pipelined: 2"))
        let limits = try await eventually("edited limits shown") { () -> String? in
            try await gateway.orchctl("status").lines.first { $0.hasPrefix("Limits ") && $0.contains("2 pipelined") }
        }
        #expect(limits.contains(" 16384 connections,"), "\(limits)")
        let json = try await gateway.orchctl("status", "--output", "json")
        let proxy = try json.decode(ConfigStatus.self, at: "config").proxy
        #expect(proxy.headerTimeout == 0.5)
        #expect(proxy.maxPipelined == 2)
    }

    @Test func showsTheTLSListenerAndWarnsAboutACertificateThatExpiresSoon() async throws {
        let directory = try TestDirectory()
        let authority = try TestCertificateAuthority()
        let site = try authority.issue(
            "site", in: directory, commonName: "gateway.test", dnsNames: ["gateway.test"], ipAddresses: ["127.0.0.1"],
            notValidAfter: Date().addingTimeInterval(90 * 86_400 + 3600))
        let soon = try authority.issue(
            "soon", in: directory, commonName: "soon.test", dnsNames: ["soon.test"],
            notValidAfter: Date().addingTimeInterval(5 * 86_400 + 3600))
        let config =
            OrchctlFixtures.config
                + """

                tls:
                  cert_file: \(site.certFile)
                  key_file: \(site.keyFile)
                  certificates:
                    - cert_file: \(soon.certFile)
                      key_file: \(soon.keyFile)
                """
        let gateway = try await ControlPlaneHarness.start(
            config: config, arguments: ["--proxy-tls-address", "127.0.0.1:8443"], directory: directory)
        defer { gateway.stop() }
        let result = try await gateway.orchctl("status")
        #expect(result.status == 0, "\(result)")
        #expect(result.lines.contains("TLS            127.0.0.1:8443, TLS 1.2 or later"), "\(result)")
        #expect(result.lines.contains("Certificates  2"), "\(result)")
        let row = try #require(result.lines.first { $0.hasPrefix("  \(site.certFile) (default)") }, "\(result)")
        #expect(row.contains("  CN=gateway.test  gateway.test, 127.0.0.1  "), "\(row)")
        #expect(row.hasSuffix(" (90 days)"), "\(row)")
        let warning = try #require(result.lines.first { $0.hasPrefix("  WARNING: ") }, "\(result)")
        #expect(warning.hasPrefix("  WARNING: \(soon.certFile) expires in 5 days ("), "\(warning)")

        let json = try await gateway.orchctl("status", "--output", "json")
        let tls = try json.decode(ConfigStatus.self, at: "config").tls
        #expect(tls.listener == "127.0.0.1:8443")
        #expect(tls.certificates.last?.expiresSoon == true)
    }

    @Test func marksReplicasThatAreBehindNackedOrGone() async throws {
        let gateway = try await ControlPlaneHarness.start(config: OrchctlFixtures.config)
        defer { gateway.stop() }
        // A peer speaking the data plane's side of the snapshot protocol.
        let replica = try await ControlSocketClient.connect(path: gateway.socketPath)
        try await replica.send(.hello(.init(replicaId: "edge-a", pid: 4242, version: nil)))
        let first = try await replica.receiveSnapshot()
        try await replica.send(.ack(version: first.version))
        let ok = try await eventually("edge-a ok") { () -> String? in
            let row = try await gateway.orchctl("status").lines.first { $0.hasPrefix("  edge-a") }
            return row?.contains(" ok ") == true ? row : nil
        }
        // The pid shown is the socket peer's (this test process), not the one the hello claimed.
        let pid = String(ProcessInfo.processInfo.processIdentifier)
        #expect(ok.split(separator: " ").prefix(4) == ["edge-a", Substring(pid), "\(first.version)", "ok"])

        #expect(try await gateway.orchctl("endpoint", "add", "more", "--url", "http://127.0.0.1:9/more").status == 0)
        let second = try await replica.receiveSnapshot()
        try await replica.send(.nack(version: second.version, error: "checksum mismatch"))
        let nacked = try await eventually("edge-a nacked") { () -> String? in
            let row = try await gateway.orchctl("status").lines.first { $0.hasPrefix("  edge-a") }
            return row?.contains("NACK") == true ? row : nil
        }
        #expect(nacked.contains(" \(first.version) "), "\(nacked)")
        #expect(nacked.contains("behind, NACK v\(second.version): checksum mismatch"), "\(nacked)")

        await replica.close()
        let gone = try await eventually("edge-a gone", timeout: 10) { () -> String? in
            let row = try await gateway.orchctl("status").lines.first { $0.hasPrefix("  edge-a") }
            return row?.contains("gone") == true ? row : nil
        }
        #expect(gone.contains("gone"))
        #expect(try await gateway.orchctl("status").lines.contains("Replicas  0 connected, 1 gone"))
    }
}
