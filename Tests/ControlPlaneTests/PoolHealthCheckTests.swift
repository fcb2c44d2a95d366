import AdminAPI
import Foundation
import Shared
import TestSupport
import Testing

/// The prober and endpoints with a pool of upstreams: healthy while any instance answers.
@Suite(.endToEnd) struct PoolHealthCheckTests {
    @Test func aPoolWithOneLiveInstanceStaysHealthyAndOneWithNoneTurnsUnhealthy() async throws {
        let upstream = try await UpstreamServer.start(.echo)
        defer { Task { await upstream.stop() } }
        // Nothing listens on ports 9 and 1 of the loopback interface: connections are refused.
        let config = """
            endpoints:
              - name: mixed
                upstreams:
                  - url: http://127.0.0.1:9/dead
                  - url: \(upstream.baseURL)/live
              - name: gone
                upstreams:
                  - url: http://127.0.0.1:9/a
                  - url: http://127.0.0.1:1/b
            health_check:
              interval: 0.2
              timeout: 1
              unhealthy_threshold: 2
              healthy_threshold: 1
            """
        let gateway = try await ControlPlaneHarness.start(config: config)
        defer { gateway.stop() }
        let gone = try await eventually("gone marked unhealthy") { () -> HealthRecord? in
            let response = try await gateway.admin(.GET, "/health/endpoints/gone")
            let record = try? response.decode(TimestampedHealthRecord.self).record
            return record?.status == "unhealthy" ? record : nil
        }
        #expect(gone.errorMessage?.hasPrefix("every upstream failed: ") == true, "\(gone)")
        let mixed = try await eventually("mixed probed healthy") { () -> HealthRecord? in
            let response = try await gateway.admin(.GET, "/health/endpoints/mixed")
            let record = try? response.decode(TimestampedHealthRecord.self).record
            return record?.status == "active" ? record : nil
        }
        #expect(mixed.url == "\(upstream.baseURL)/live")
        #expect(mixed.errorMessage == nil)
        let details = try await gateway.admin(.GET, "/registry/endpoints/mixed").decode(EndpointDetails.self)
        #expect(details.health == "healthy")
        #expect(details.upstreams?.count == 2)
    }
}

/// The control plane tells its replicas how many they are, for rate limits the gateway shares.
@Suite(.endToEnd) struct ReplicaCountAnnouncementTests {
    @Test func everyReplicaHearsTheCountOnEachConnectAndDisconnect() async throws {
        let gateway = try await ControlPlaneHarness.start(config: nil)
        defer { gateway.stop() }
        _ = try await gateway.admin(
            .POST, "/registry/endpoints", json: #"{"name": "svc", "url": "http://127.0.0.1:9/x"}"#)
        let one = try await ControlSocketClient.connect(path: gateway.socketPath)
        try await one.send(.hello(.init(replicaId: "r1", pid: 1, version: nil)))
        _ = try await one.receiveSnapshot()
        let two = try await ControlSocketClient.connect(path: gateway.socketPath)
        try await two.send(.hello(.init(replicaId: "r2", pid: 2, version: nil)))
        _ = try await two.receiveSnapshot()
        await two.close()
        // A breaker reset is a frame that follows the counts on the same connection.
        _ = try await eventually("the disconnect is known") { () -> Bool? in
            let listing = try await gateway.admin(.GET, "/dataplanes").decode(DataPlaneListing.self)
            return listing.dataplanes.filter(\.connected).count == 1 ? true : nil
        }
        #expect(try await gateway.admin(.POST, "/health/circuit-breakers/svc/reset").status == 200)
        guard case .message(.resetBreaker) = try await one.receiveSkippingHealth() else {
            Issue.record("expected the reset")
            return
        }
        #expect(one.replicaCounts == [1, 2, 1])
        await one.close()
    }
}
