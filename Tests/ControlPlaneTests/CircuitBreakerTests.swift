import AdminAPI
import Foundation
import TestSupport
import Testing

/// Circuit breakers end to end: a real upstream the test switches between healthy, failing and
/// refusing, one supervised replica, and the control plane's view of each step.
@Suite(.endToEnd) struct CircuitBreakerTests {
    static func config(_ upstream: UpstreamServer, threshold: Int = 2) -> String {
        """
        endpoints:
          - name: svc
            url: \(upstream.baseURL)/api
            circuit_breaker: {half_open_max_calls: 1}
          - name: refused
            url: http://127.0.0.1:9/nothing
        circuit_breaker:
          failure_threshold: \(threshold)
          reset_timeout: 5
        health_check:
          enabled: false
        """
    }

    static func aggregate(_ gateway: ControlPlaneHarness, _ endpoint: String) async throws -> String? {
        let list = try await gateway.admin(.GET, "/health/circuit-breakers").decode(BreakerListing.self).aggregate
        return list.first { $0.endpointId == endpoint }?.state
    }

    @Test func opensRejectsWithoutTouchingTheUpstreamThenRecovers() async throws {
        let upstream = try await UpstreamServer.start()
        let gateway = try await ControlPlaneHarness.start(config: Self.config(upstream), replicas: 1)
        defer { gateway.stop() }
        let url = "http://127.0.0.1:\(gateway.proxyPort)/orchestrator/svc/x"
        _ = try await eventually("routed") { () -> Bool? in
            try await TestHTTP.request(.GET, url).status == 200 ? true : nil
        }

        upstream.behaviour = .fixed(status: 500, headers: [], body: "broken")
        #expect(try await TestHTTP.request(.GET, url).status == 500)
        #expect(try await TestHTTP.request(.GET, url).status == 500)
        let seen = upstream.requests.count
        let rejected = try await TestHTTP.request(.GET, url)
        #expect(rejected.status == 503)
        #expect(rejected.detail == "Circuit breaker is open")
        #expect(rejected.headers.first(name: "x-circuit-breaker") == "open")
        // Seconds until a trial is let through: at most reset_timeout.
        #expect((1...5).contains(Int(rejected.headers.first(name: "retry-after") ?? "") ?? 0))
        #expect(upstream.requests.count == seen, "a rejected request reached the upstream")
        _ = try await eventually("open in /health/circuit-breakers") { () -> Bool? in
            try await Self.aggregate(gateway, "svc") == "open" ? true : nil
        }
        let entry =
            try await gateway.admin(.GET, "/health/circuit-breakers/open").decode(OpenBreakerListing.self)
            .openCircuitBreakers.first
        #expect(entry?.replicaId != nil)
        #expect(entry?.failureCount == 2)

        // After reset_timeout one trial goes through; the upstream has recovered, so it closes.
        upstream.behaviour = .echo
        _ = try await eventually("a trial went through and closed the breaker") { () -> Bool? in
            try await TestHTTP.request(.GET, url).status == 200 ? true : nil
        }
        _ = try await eventually("closed in /health/circuit-breakers") { () -> Bool? in
            try await Self.aggregate(gateway, "svc") == "closed" ? true : nil
        }
        let breaker =
            try await gateway.admin(.GET, "/health/circuit-breakers").decode(BreakerListing.self).circuitBreakers
            .first { $0.endpointId == "svc" }
        #expect((breaker?.transitions ?? 0) >= 3)  // open, half_open, closed
        #expect((breaker?.rejected ?? 0) >= 1)
        await upstream.stop()
    }

    @Test func connectFailuresOpenAndResetClosesEverywhere() async throws {
        let upstream = try await UpstreamServer.start()
        let gateway = try await ControlPlaneHarness.start(config: Self.config(upstream), replicas: 1)
        defer { gateway.stop() }
        let url = "http://127.0.0.1:\(gateway.proxyPort)/orchestrator/refused/x"
        _ = try await eventually("first 502") { () -> Bool? in
            try await TestHTTP.request(.GET, url).status == 502 ? true : nil
        }
        #expect(try await TestHTTP.request(.GET, url).status == 502)
        #expect(try await TestHTTP.request(.GET, url).status == 503)
        _ = try await eventually("open reported") { () -> Bool? in
            try await Self.aggregate(gateway, "refused") == "open" ? true : nil
        }
        let reset = try await gateway.admin(.POST, "/health/circuit-breakers/refused/reset")
        #expect(try reset.decode(BreakerResetResult.self).replicas == 1)
        _ = try await eventually("closed after reset") { () -> Bool? in
            try await Self.aggregate(gateway, "refused") == "closed" ? true : nil
        }
        #expect(try await TestHTTP.request(.GET, url).status == 502)  // goes upstream again
        await upstream.stop()
    }

    @Test func breakerSettingsReloadWithoutRestart() async throws {
        let upstream = try await UpstreamServer.start(.fixed(status: 503, headers: [], body: "no"))
        let gateway = try await ControlPlaneHarness.start(config: Self.config(upstream, threshold: 2), replicas: 1)
        defer { gateway.stop() }
        let before = try await gateway.admin(.GET, "/snapshots").decode(SnapshotListing.self).currentVersion
        try gateway.writeConfig(Self.config(upstream, threshold: 4))
        _ = try await eventually("new policy acknowledged") { () -> Bool? in
            let listing = try await gateway.admin(.GET, "/dataplanes").decode(DataPlaneListing.self)
            let acked = listing.dataplanes.first?.ackedVersion ?? 0
            return acked > before ? true : nil
        }
        let url = "http://127.0.0.1:\(gateway.proxyPort)/orchestrator/svc/x"
        for _ in 0..<4 { #expect(try await TestHTTP.request(.GET, url).status == 503) }
        #expect(upstream.requests.count == 4)  // four failures went upstream: the threshold is 4 now
        let rejected = try await TestHTTP.request(.GET, url)
        #expect(rejected.detail == "Circuit breaker is open")
        #expect(upstream.requests.count == 4)
        await upstream.stop()
    }
}
