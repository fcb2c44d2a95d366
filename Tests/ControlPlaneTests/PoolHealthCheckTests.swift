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

/// The replicas hear which upstreams of a pool are unhealthy in every health update, and no
/// longer once the endpoint is one upstream again.
@Suite(.endToEnd) struct UnhealthyUpstreamUpdateTests {
    /// The next health update that satisfies `condition` within 30 s, or nil.
    static func health(
        from client: ControlSocketClient, where condition: @escaping @Sendable (HealthUpdate) -> Bool
    ) async throws -> HealthUpdate? {
        try await withThrowingTaskGroup(of: HealthUpdate?.self) { group in
            group.addTask {
                while let received = try await client.receive() {
                    if case .message(.health(let update)) = received, condition(update) { return update }
                }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: .seconds(30))
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            // A reader still waiting for a frame ends when its connection does.
            if first == nil { await client.close() }
            return first
        }
    }

    @Test func anUnhealthyUpstreamIsAnnouncedAndForgottenWhenThePoolBecomesOneURL() async throws {
        let upstream = try await UpstreamServer.start(.echo)
        defer { Task { await upstream.stop() } }
        let gateway = try await ControlPlaneHarness.start(
            config: """
                health_check:
                  interval: 0.2
                  timeout: 1
                  unhealthy_threshold: 1
                  healthy_threshold: 1
                """)
        defer { gateway.stop() }
        let created = try await gateway.admin(
            .POST, "/registry/endpoints",
            json:
                #"{"name": "pool", "upstreams": [{"url": "http://127.0.0.1:9/dead"}, {"url": "\#(upstream.baseURL)/live"}]}"#
        )
        #expect([200, 201].contains(created.status), "\(created.text)")
        let client = try await ControlSocketClient.connect(path: gateway.socketPath)
        try await client.send(.hello(.init(replicaId: "r1", pid: 1, version: nil)))
        _ = try await client.receiveSnapshot()
        let down = try await Self.health(from: client) { $0.unhealthyUpstreams["pool"] != nil }
        #expect(down?.unhealthyUpstreams == ["pool": ["http://127.0.0.1:9/dead"]])

        let single = try await gateway.admin(
            .PUT, "/registry/endpoints/pool", json: #"{"url": "\#(upstream.baseURL)/live"}"#)
        #expect(single.status == 200, "\(single.text)")
        let forgotten = try await Self.health(from: client) { $0.unhealthyUpstreams.isEmpty }
        #expect(forgotten != nil)
        await client.close()
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
