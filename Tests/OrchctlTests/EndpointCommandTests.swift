import Foundation
import TestSupport
import Testing

/// `orchctl endpoint ...` against a real control plane.
@Suite(.endToEnd) struct EndpointCommandTests {
    @Test func addListGetUpdateDisableEnableRemove() async throws {
        let gateway = try await ControlPlaneHarness.start(config: nil)
        defer { gateway.stop() }

        let added = try await gateway.orchctl(
            "endpoint", "add", "payments", "--url", "http://127.0.0.1:9/pay", "--method", "GET", "--method", "post",
            "--version", "v2", "--timeout", "12", "--health-path", "/healthz", "--auth-type", "bearer")
        #expect(added.status == 0, "\(added)")
        #expect(added.stdout.contains("payments -> http://127.0.0.1:9/pay"), "\(added)")

        let list = try await gateway.orchctl("endpoint", "list")
        #expect(list.status == 0, "\(list)")
        #expect(list.lines.first?.split(separator: " ", omittingEmptySubsequences: true).first == "NAME")
        let row = try #require(list.lines.first { $0.hasPrefix("payments ") }, "\(list)")
        #expect(row.contains("v2") && row.contains("active") && row.contains("api") && row.contains("GET,POST"))

        let listed = try await gateway.orchctl("endpoint", "list", "--output", "json")
        let endpoints = listed.json["endpoints"] as? [[String: Any]] ?? []
        #expect(endpoints.map { $0["endpoint_id"] as? String } == ["payments"], "\(listed)")
        #expect(endpoints.first?["methods"] as? [String] == ["GET", "POST"])
        #expect(endpoints.first?["timeout"] as? Int == 12)
        #expect(endpoints.first?["health_check_path"] as? String == "/healthz")

        let shown = try await gateway.orchctl("endpoint", "get", "payments")
        #expect(shown.status == 0, "\(shown)")
        #expect(shown.lines.contains { $0.hasPrefix("url ") && $0.hasSuffix("http://127.0.0.1:9/pay") }, "\(shown)")
        #expect(shown.lines.contains { $0.hasPrefix("auth_type ") && $0.hasSuffix("bearer") }, "\(shown)")

        // Only the flags given change.
        let updated = try await gateway.orchctl("endpoint", "update", "payments", "--timeout", "20", "--clear-version")
        #expect(updated.status == 0, "\(updated)")
        let afterUpdate = try await gateway.admin(.GET, "/registry/endpoints/payments").json
        #expect(afterUpdate["timeout"] as? Int == 20)
        #expect(afterUpdate["version"] is NSNull)
        #expect(afterUpdate["methods"] as? [String] == ["GET", "POST"])
        #expect(afterUpdate["health_check_path"] as? String == "/healthz")
        #expect(afterUpdate["auth_type"] as? String == "bearer")

        let moved = try await gateway.orchctl("endpoint", "update", "payments", "--url", "http://127.0.0.1:9/pay2")
        #expect(moved.status == 0, "\(moved)")
        #expect(
            try await gateway.admin(.GET, "/registry/endpoints/payments").json["url"] as? String
                == "http://127.0.0.1:9/pay2")

        let disabled = try await gateway.orchctl("endpoint", "disable", "payments")
        #expect(disabled.status == 0, "\(disabled)")
        #expect(disabled.stdout.contains("Disabled endpoint 'payments'"))
        let whileDisabled = try await gateway.admin(.GET, "/registry/endpoints/payments").json
        #expect(whileDisabled["disabled"] as? Bool == true)
        #expect(whileDisabled["status"] as? String == "disabled")

        let enabled = try await gateway.orchctl("endpoint", "enable", "payments")
        #expect(enabled.status == 0, "\(enabled)")
        #expect(enabled.stdout == "Enabled endpoint 'payments'\n", "\(enabled)")
        #expect(try await gateway.admin(.GET, "/registry/endpoints/payments").json["status"] as? String == "active")

        let removed = try await gateway.orchctl("endpoint", "remove", "payments")
        #expect(removed.status == 0, "\(removed)")
        #expect(removed.stdout.contains("Endpoint payments unregistered successfully"))
        let gone = try await gateway.orchctl("endpoint", "get", "payments")
        #expect(gone.status == 1)
        #expect(gone.stderr.contains("Endpoint not found: payments"), "\(gone)")
        #expect(try await gateway.orchctl("endpoint", "list").stdout.contains("No endpoints"))
    }

    @Test func disableKeepsTheEndpointsOwnPolicyBlocks() async throws {
        let gateway = try await ControlPlaneHarness.start(config: nil)
        defer { gateway.stop() }
        let created = try await gateway.admin(
            .POST, "/registry/endpoints",
            json: """
                {"name": "tuned", "url": "http://127.0.0.1:9/t", "circuit_breaker": {"failure_threshold": 2},
                 "health_check": {"enabled": false}}
                """)
        #expect(created.status == 200, "\(created.text)")

        let disabled = try await gateway.orchctl("endpoint", "disable", "tuned")
        #expect(disabled.status == 0, "\(disabled)")

        let version = try await OrchctlFixtures.currentVersion(gateway)
        let snapshot = try await gateway.admin(.GET, "/snapshots/\(version)").json
        let endpoint = try #require((snapshot["endpoints"] as? [[String: Any]])?.first)
        let config = try #require(endpoint["config"] as? [String: Any])
        #expect(config["disabled"] as? Bool == true)
        #expect((config["circuit_breaker"] as? [String: Any])?["failure_threshold"] as? Int == 2)
        #expect((config["health_check"] as? [String: Any])?["enabled"] as? Bool == false)
    }

    @Test func jsonOutputIsTheAPIsJSON() async throws {
        let gateway = try await ControlPlaneHarness.start(config: OrchctlFixtures.config)
        defer { gateway.stop() }
        let cli = try await gateway.orchctl("endpoint", "get", "order_service", "--output", "json")
        #expect(cli.status == 0, "\(cli)")
        let api = try await gateway.admin(.GET, "/registry/endpoints/order_service")
        let fromCLI = try JSONSerialization.jsonObject(with: Data(cli.stdout.utf8)) as? NSDictionary
        let fromAPI = try JSONSerialization.jsonObject(with: api.body) as? NSDictionary
        #expect(fromCLI == fromAPI)
        #expect(cli.stdout.hasPrefix("{\n  \""), "pretty-printed: \(cli.stdout)")
    }
}
