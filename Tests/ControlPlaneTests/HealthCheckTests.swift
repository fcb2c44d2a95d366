import Foundation
import TestSupport
import Testing

/// The control plane's prober marks endpoints unhealthy after their threshold and publishes it.
@Suite struct HealthCheckTests {
    @Test func refusedUpstreamBecomesUnhealthyAfterItsThreshold() async throws {
        let config = """
            endpoints:
              - name: down
                url: http://127.0.0.1:9/api
                health_check_path: /health
                health_check: {unhealthy_threshold: 2}
              - name: unprobed
                url: http://127.0.0.1:9/other
                health_check: {enabled: false}
            health_check:
              interval: 0.2
              timeout: 1
            """
        let gateway = try await ControlPlaneHarness.start(config: config)
        defer { gateway.stop() }
        let record = try await eventually("down marked unhealthy") { () -> [String: Any]? in
            let record = try await gateway.admin(.GET, "/health/endpoints/down").json
            return record["status"] as? String == "unhealthy" ? record : nil
        }
        #expect(record["url"] as? String == "http://127.0.0.1:9/api/health")
        #expect((record["consecutive_failures"] as? Int ?? 0) >= 2)
        #expect((record["error_message"] as? String)?.contains("Connection error") == true)

        let endpoint = try await gateway.admin(.GET, "/registry/endpoints/down").json
        #expect(endpoint["status"] as? String == "unhealthy")
        #expect(endpoint["health"] as? String == "unhealthy")
        let snapshot = try await gateway.admin(.GET, "/snapshots").json
        let version = snapshot["current_version"] as? Int ?? 0
        let body = try await gateway.admin(.GET, "/snapshots/\(version)").json
        let health = (body["endpoints"] as? [[String: Any]] ?? []).map { $0["health"] as? String ?? "" }
        #expect(health == ["unhealthy", "unknown"])

        #expect(try await gateway.admin(.GET, "/health/endpoints/unprobed").status == 404)
        let unhealthy = try await gateway.admin(.GET, "/health/unhealthy").json
        #expect(unhealthy["count"] as? Int == 1)
        let status = try await gateway.admin(.GET, "/health/status").json
        #expect(status["system_status"] as? String == "unhealthy")

        let manual = try await gateway.admin(.POST, "/health/check/down")
        #expect(manual.status == 200)
        #expect(manual.json["message"] as? String == "Health check completed for down")
        #expect(try await gateway.admin(.POST, "/health/check/nope").detail == "Endpoint not found: nope")
    }
}
