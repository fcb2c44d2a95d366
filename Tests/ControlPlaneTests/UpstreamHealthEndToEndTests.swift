import AdminAPI
import Foundation
import LoadGenerator
import Shared
import TestSupport
import Testing

/// A pool's upstreams are probed one by one: the replicas leave an unhealthy one out of the
/// rotation and take it back once it recovers; the admin API shows each upstream's state.
@Suite(.endToEnd) struct UpstreamHealthEndToEndTests {
    static func config(_ upstreams: [UpstreamServer], slowStart: Double? = nil) -> String {
        """
        endpoints:
          - name: pool
            health_check_path: /healthz
            \(slowStart.map { "slow_start: \($0)" } ?? "")
            upstreams:
        \(upstreams.map { "      - url: \($0.baseURL)/api" }.joined(separator: "\n"))
        health_check:
          interval: 0.2
          timeout: 1
          unhealthy_threshold: 2
          healthy_threshold: 1
        # The failures an upstream answers before its probes catch up may open its own breaker;
        # a short reset lets it back as soon as it recovers, however loaded the machine.
        circuit_breaker:
          reset_timeout: 1
        """
    }

    /// Requests the clients sent (probes excluded).
    static func served(_ upstream: UpstreamServer) -> Int {
        upstream.requests.filter { !$0.uri.hasSuffix("/healthz") }.count
    }

    static func upstreamHealth(_ gateway: ControlPlaneHarness) async throws -> [String]? {
        let details = try? await gateway.admin(.GET, "/registry/endpoints/pool").decode(EndpointDetails.self)
        return details?.upstreams?.map(\.health)
    }

    @Test func anUpstreamKilledUnderLoadLosesNoRequestAndComesBackIntoTheRotation() async throws {
        let live = try await UpstreamServer.start(.echo)
        var killed = try await UpstreamServer.start(.echo)
        let killedPort = killed.port
        let gateway = try await ControlPlaneHarness.start(
            config: Self.config([live, killed], slowStart: 1), replicas: 1)
        let url = "http://127.0.0.1:\(gateway.proxyPort)/orchestrator/pool/x"
        do {
            _ = try await eventually("both upstreams healthy and served", timeout: 30) { () -> Bool? in
                guard try await Self.upstreamHealth(gateway) == ["healthy", "healthy"] else { return nil }
                return try await TestHTTP.request(.GET, url).status == 200 ? true : nil
            }
        } catch {
            gateway.stop()
            await live.stop()
            await killed.stop()
            throw error
        }
        let load = LoadGenerator.start(
            .init(
                targets: [LoadTarget(name: "pool", url: url)], requestsPerSecond: 200, mode: .keepAlive(connections: 4))
        )
        do {
            _ = try await eventually("load on both upstreams", timeout: 30) {
                Self.served(live) > 20 && Self.served(killed) > 20 ? true : nil
            }
            await killed.stop()
            _ = try await eventually("the killed upstream probed unhealthy", timeout: 30) {
                try await Self.upstreamHealth(gateway) == ["healthy", "unhealthy"] ? true : nil
            }
            let sent = load.snapshot().sent
            _ = try await eventually("load while it is down", timeout: 30) {
                load.snapshot().sent > sent + 100 ? true : nil
            }
            killed = try await UpstreamServer.start(.echo, port: killedPort)
            _ = try await eventually("the upstream back in the rotation", timeout: 30) {
                Self.served(killed) > 20 ? true : nil
            }
            #expect(try await Self.upstreamHealth(gateway) == ["healthy", "healthy"])
        } catch {
            _ = await load.stop()
            gateway.stop()
            await live.stop()
            await killed.stop()
            throw error
        }
        let summary = await load.stop()
        gateway.stop()
        await live.stop()
        await killed.stop()
        #expect(summary.sent > 300)
        #expect(summary.failed == 0, "\(summary.lines())")
    }

    @Test func anUpstreamFailingItsProbesLeavesTheRotationWhileItStillAcceptsConnections() async throws {
        let good = try await UpstreamServer.start(.echo)
        let failing = try await UpstreamServer.start(.fixed(status: 503, headers: [], body: "down"))
        let gateway = try await ControlPlaneHarness.start(config: Self.config([failing, good]), replicas: 1)
        defer {
            gateway.stop()
            Task {
                await good.stop()
                await failing.stop()
            }
        }
        let url = "http://127.0.0.1:\(gateway.proxyPort)/orchestrator/pool/x"
        _ = try await eventually("the failing upstream probed unhealthy", timeout: 30) {
            try await Self.upstreamHealth(gateway) == ["unhealthy", "healthy"] ? true : nil
        }
        let details = try await gateway.admin(.GET, "/registry/endpoints/pool").decode(EndpointDetails.self)
        #expect(details.health == "healthy")
        let debug = try await gateway.admin(.GET, "/router/debug/pool/x").decode(RouteDebug.self)
        #expect(debug.upstreamsInRotation == ["\(good.baseURL)/api"])
        #expect(debug.upstream == "\(good.baseURL)/api")
        #expect(debug.wouldForwardTo == "\(good.baseURL)/api/x")
        // Once the replica has the update, every request goes to the healthy upstream.
        _ = try await eventually("the replica leaves it out", timeout: 30) { () -> Bool? in
            for _ in 0..<10 where try await TestHTTP.request(.GET, url).status != 200 { return nil }
            return true
        }
        let before = Self.served(failing)
        for _ in 0..<20 {
            #expect(try await TestHTTP.request(.GET, url).status == 200)
        }
        #expect(Self.served(failing) == before)

        failing.behaviour = .echo
        _ = try await eventually("the recovered upstream serves again", timeout: 30) { () -> Bool? in
            _ = try await TestHTTP.request(.GET, url)
            return Self.served(failing) > before ? true : nil
        }
        // The replicas report each upstream's breaker and tries with the endpoint's.
        let entry = try await eventually("the pool's breaker reported", timeout: 30) { () -> BreakerEntry? in
            let listing = try await gateway.admin(.GET, "/health/circuit-breakers").decode(BreakerListing.self)
            let entry = listing.circuitBreakers.first { $0.endpointId == "pool" }
            return entry?.upstreams?.count == 2 && entry?.upstreams?.allSatisfy({ $0.requests > 0 }) == true
                ? entry : nil
        }
        #expect(entry.upstreams?.map(\.url) == details.upstreams?.map(\.url))
    }
}
