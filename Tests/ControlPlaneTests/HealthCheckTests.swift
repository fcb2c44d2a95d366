import AdminAPI
import Foundation
import Shared
import TestSupport
import Testing

/// The control plane's prober marks endpoints unhealthy after their threshold and publishes it.
@Suite(.endToEnd) struct HealthCheckTests {
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
        let record = try await eventually("down marked unhealthy") { () -> HealthRecord? in
            let response = try await gateway.admin(.GET, "/health/endpoints/down")
            let record = try? response.decode(TimestampedHealthRecord.self).record
            return record?.status == "unhealthy" ? record : nil
        }
        #expect(record.url == "http://127.0.0.1:9/api/health")
        #expect(record.consecutiveFailures >= 2)
        #expect(record.errorMessage == "connection refused")

        let endpoint = try await gateway.admin(.GET, "/registry/endpoints/down").decode(EndpointDetails.self)
        #expect(endpoint.status == "unhealthy")
        #expect(endpoint.health == "unhealthy")
        // The flip went out as a health update: the stored snapshot is still the configuration's,
        // with the health of its time.
        let listing = try await gateway.admin(.GET, "/snapshots").decode(SnapshotListing.self)
        #expect(!listing.snapshots.contains { $0.cause.hasPrefix("health") })
        let snapshot = try await gateway.admin(.GET, "/snapshots/\(listing.currentVersion)").decode(Snapshot.self)
        #expect(snapshot.endpoints.map(\.health) == [.unknown, .unknown])
        #expect(try await gateway.admin(.GET, "/dataplanes").decode(DataPlaneListing.self).currentHealthSeq > 1)

        #expect(try await gateway.admin(.GET, "/health/endpoints/unprobed").status == 404)
        #expect(try await gateway.admin(.GET, "/health/unhealthy").decode(UnhealthyEndpoints.self).count == 1)
        let status = try await gateway.admin(.GET, "/health/status").decode(HealthStatusResponse.self)
        #expect(status.systemStatus == "unhealthy")

        let manual = try await gateway.admin(.POST, "/health/check/down")
        #expect(manual.status == 200)
        #expect(try manual.decode(HealthCheckResult.self).message == "Health check completed for down")
        #expect(try await gateway.admin(.POST, "/health/check/nope").detail == "Endpoint not found: nope")
    }
}

/// Health flips reach every replica, and probing does not multiply with replicas.
@Suite(.endToEnd) struct HealthEnforcementTests {
    static func config(_ upstream: UpstreamServer) -> String {
        """
        endpoints:
          - name: svc
            url: \(upstream.baseURL)/api
            health_check_path: /healthz
        # Only health decides here: the breaker must not open on the 500s first.
        circuit_breaker:
          failure_threshold: 1000
        health_check:
          interval: 0.5
          timeout: 1
          unhealthy_threshold: 2
          healthy_threshold: 2
        """
    }

    @Test func unhealthyUpstreamGets503EverywhereAndComesBackWithoutANewSnapshotVersion() async throws {
        let upstream = try await UpstreamServer.start()
        let gateway = try await ControlPlaneHarness.start(config: Self.config(upstream), replicas: 2)
        defer { gateway.stop() }
        let proxy = "http://127.0.0.1:\(gateway.proxyPort)/orchestrator/svc/x"
        _ = try await eventually("healthy and routed") { () -> Bool? in
            try await TestHTTP.request(.GET, proxy).status == 200 ? true : nil
        }
        let versionBefore = try await gateway.admin(.GET, "/snapshots").decode(SnapshotListing.self).currentVersion

        upstream.behaviour = .fixed(status: 500, headers: [], body: "down")
        let refused = try await eventually("503 from the gateway") { () -> TestResponse? in
            let response = try await TestHTTP.request(.GET, proxy)
            return response.status == 503 ? response : nil
        }
        #expect(refused.detail == "Endpoint is unhealthy")
        // Every replica applied the health update with the flip; the snapshot version stayed.
        _ = try await eventually("both replicas applied the newest health update") { () -> Bool? in
            let listing = try await gateway.admin(.GET, "/dataplanes").decode(DataPlaneListing.self)
            let current = listing.currentHealthSeq
            let applied = listing.dataplanes.filter { $0.connected && $0.healthSeq == current }
            return current > 0 && applied.count == 2 ? true : nil
        }
        for _ in 0..<6 { #expect(try await TestHTTP.request(.GET, proxy).status == 503) }
        #expect(
            try await gateway.admin(.GET, "/snapshots").decode(SnapshotListing.self).currentVersion == versionBefore)

        upstream.behaviour = .echo
        _ = try await eventually("healthy again") { () -> Bool? in
            try await TestHTTP.request(.GET, proxy).status == 200 ? true : nil
        }
        await upstream.stop()
    }

    @Test func threeReplicasMeanOneProber() async throws {
        let upstream = try await UpstreamServer.start()
        let gateway = try await ControlPlaneHarness.start(config: Self.config(upstream), replicas: 3)
        defer { gateway.stop() }
        _ = try await eventually("three replicas connected") { () -> Bool? in
            let list = try await gateway.admin(.GET, "/dataplanes").decode(DataPlaneListing.self).dataplanes
            return list.filter(\.connected).count == 3 ? true : nil
        }
        let probes = { upstream.requests.filter { $0.uri == "/api/healthz" }.count }
        let before = probes()
        let started = ContinuousClock.now
        // Waits for six more probes: one prober every 0.5 s needs at least 2.5 s for them (a
        // loaded machine only takes longer); three would send them in about 1 s.
        let count = try await eventually("six more probes", timeout: 60, interval: 0.05) { () -> Int? in
            let count = probes() - before
            return count >= 6 ? count : nil
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        #expect(Double(count) <= seconds * 2 + 2, "\(count) probes in \(seconds) s")
        await upstream.stop()
    }
}
