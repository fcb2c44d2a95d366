import AdminAPI
import Foundation
import Shared
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
        let endpoints = try JSONDecoder().decode(EndpointList.self, from: Data(listed.stdout.utf8)).endpoints
        #expect(endpoints.map(\.endpointId) == ["payments"], "\(listed)")
        #expect(endpoints.first?.methods == ["GET", "POST"])
        #expect(endpoints.first?.timeout == 12)
        #expect(endpoints.first?.healthCheckPath == "/healthz")

        let shown = try await gateway.orchctl("endpoint", "get", "payments")
        #expect(shown.status == 0, "\(shown)")
        #expect(shown.lines.contains { $0.hasPrefix("url ") && $0.hasSuffix("http://127.0.0.1:9/pay") }, "\(shown)")
        #expect(shown.lines.contains { $0.hasPrefix("auth_type ") && $0.hasSuffix("bearer") }, "\(shown)")

        // Only the flags given change.
        let updated = try await gateway.orchctl("endpoint", "update", "payments", "--timeout", "20", "--clear-version")
        #expect(updated.status == 0, "\(updated)")
        let afterUpdate = try await Self.details("payments", gateway)
        #expect(afterUpdate.timeout == 20)
        #expect(afterUpdate.version == nil)
        #expect(afterUpdate.methods == ["GET", "POST"])
        #expect(afterUpdate.healthCheckPath == "/healthz")
        #expect(afterUpdate.authType == "bearer")

        let moved = try await gateway.orchctl("endpoint", "update", "payments", "--url", "http://127.0.0.1:9/pay2")
        #expect(moved.status == 0, "\(moved)")
        #expect(try await Self.details("payments", gateway).url == "http://127.0.0.1:9/pay2")

        let disabled = try await gateway.orchctl("endpoint", "disable", "payments")
        #expect(disabled.status == 0, "\(disabled)")
        #expect(disabled.stdout.contains("Disabled endpoint 'payments'"))
        let whileDisabled = try await Self.details("payments", gateway)
        #expect(whileDisabled.disabled)
        #expect(whileDisabled.status == "disabled")

        let enabled = try await gateway.orchctl("endpoint", "enable", "payments")
        #expect(enabled.status == 0, "\(enabled)")
        #expect(enabled.stdout == "Enabled endpoint 'payments'\n", "\(enabled)")
        #expect(try await Self.details("payments", gateway).status == "active")

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
        let snapshot = try await gateway.admin(.GET, "/snapshots/\(version)").decode(Snapshot.self)
        let config = try #require(snapshot.endpoints.first?.config)
        #expect(config.disabled)
        #expect(config.circuitBreaker?.failureThreshold == 2)
        #expect(config.healthCheck?.enabled == false)
        // The registry shows the same blocks, which is where orchctl read them from.
        let details = try await Self.details("tuned", gateway)
        #expect(details.circuitBreaker == config.circuitBreaker)
        #expect(details.healthCheck == config.healthCheck)
    }

    static func details(_ name: String, _ gateway: ControlPlaneHarness) async throws -> EndpointDetails {
        try await gateway.admin(.GET, "/registry/endpoints/\(name)").decode(EndpointDetails.self)
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
