import AdminAPI
import Foundation
import TestSupport
import Testing

/// `orchctl breaker list|reset` and `orchctl health check` against a real gateway.
@Suite(.endToEnd) struct BreakerCommandTests {
    static let config = """
        endpoints:
          - name: refused
            url: http://127.0.0.1:9/x
            health_check_path: /healthz
        circuit_breaker: {failure_threshold: 1, reset_timeout: 60}
        health_check: {enabled: false}
        """

    @Test func listResetAndCheck() async throws {
        let gateway = try await ControlPlaneHarness.start(config: Self.config, replicas: 1)
        defer { gateway.stop() }
        let url = "http://127.0.0.1:\(gateway.proxyPort)/orchestrator/refused/a"
        _ = try await eventually("502 from the refusing upstream") { () -> Bool? in
            try await TestHTTP.request(.GET, url).status == 502 ? true : nil
        }
        let listed = try await eventually("breaker open in orchctl") { () -> OrchctlResult? in
            let result = try await gateway.orchctl("breaker", "list")
            return result.stdout.contains("open") ? result : nil
        }
        #expect(listed.status == 0)
        #expect(listed.lines.first?.contains("ENDPOINT") == true)
        #expect(listed.stdout.contains("refused"))

        let reset = try await gateway.orchctl("breaker", "reset", "refused")
        #expect(reset.status == 0, "\(reset)")
        #expect(reset.stdout.contains("reset in 1 replica"))
        _ = try await eventually("closed after reset") { () -> Bool? in
            try await gateway.orchctl("breaker", "list").stdout.contains(" open ") ? nil : true
        }

        let check = try await gateway.orchctl("health", "check", "refused")
        #expect(check.status == 1, "a failed probe exits 1: \(check)")
        #expect(check.stdout.contains("http://127.0.0.1:9/x/healthz"))
        #expect(check.stdout.contains("connection refused"))

        let missing = try await gateway.orchctl("breaker", "reset", "nope")
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("Endpoint not found: nope"))
        let json = try await gateway.orchctl("breaker", "list", "--output", "json")
        #expect(try json.decode(BreakerListing.self).aggregate.first?.endpointId == "refused")
    }
}
