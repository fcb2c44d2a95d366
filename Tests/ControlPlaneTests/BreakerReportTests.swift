import AdminAPI
import Foundation
import Shared
import TestSupport
import Testing

/// Breaker states reported by replicas show per replica and aggregated; a reset reaches them.
@Suite(.endToEnd) struct BreakerReportTests {
    static func report(_ endpoint: String, _ state: String) -> BreakerReport {
        BreakerReport(
            endpoint: endpoint, state: state, failureCount: state == "open" ? 3 : 0, lastFailureTime: nil,
            lastSuccessTime: nil, stateChangedTime: "2026-11-26T14:02:38Z", halfOpenCalls: 0, rejected: 0,
            transitions: 1, failureThreshold: 3, resetTimeout: 5, halfOpenMaxCalls: 1)
    }

    @Test func reportsAggregateAndResetIsSentToEveryReplica() async throws {
        let gateway = try await ControlPlaneHarness.start(config: nil)
        defer { gateway.stop() }
        _ = try await gateway.admin(
            .POST, "/registry/endpoints", json: #"{"name": "svc", "url": "http://127.0.0.1:9/x"}"#)
        let one = try await ControlSocketClient.connect(path: gateway.socketPath)
        let two = try await ControlSocketClient.connect(path: gateway.socketPath)
        try await one.send(.hello(.init(replicaId: "r1", pid: 1, version: nil)))
        try await two.send(.hello(.init(replicaId: "r2", pid: 2, version: nil)))
        _ = try await one.receiveSnapshot()
        _ = try await two.receiveSnapshot()
        try await one.send(.report(ReplicaReport(breakers: [Self.report("svc", "open")])))
        try await two.send(.report(ReplicaReport(breakers: [Self.report("svc", "closed")])))

        let listing = try await eventually("both replicas' breakers listed") { () -> BreakerListing? in
            let listing = try await gateway.admin(.GET, "/health/circuit-breakers").decode(BreakerListing.self)
            return listing.circuitBreakers.count == 2 ? listing : nil
        }
        #expect(listing.aggregate.first?.state == "open")
        #expect(listing.aggregate.first?.openIn == ["r1"])
        #expect(listing.summary.openBreakers == 1)
        let open = try await gateway.admin(.GET, "/health/circuit-breakers/open").decode(OpenBreakerListing.self)
        #expect(open.count == 1)
        #expect(
            try await gateway.admin(.GET, "/registry/endpoints/svc").decode(EndpointDetails.self).circuitBreakerState
                == "open")

        let reset = try await gateway.admin(.POST, "/health/circuit-breakers/svc/reset")
        #expect(try reset.decode(BreakerResetResult.self).replicas == 2)
        for client in [one, two] {
            guard case .message(.resetBreaker(let endpoint))? = try await client.receiveSkippingHealth() else {
                Issue.record("no reset_breaker frame")
                continue
            }
            #expect(endpoint == "svc")
        }
        #expect(try await gateway.admin(.POST, "/health/circuit-breakers/nope/reset").status == 404)
        await one.close()
        await two.close()
    }
}
