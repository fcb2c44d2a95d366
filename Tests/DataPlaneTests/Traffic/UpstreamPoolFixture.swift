import Foundation
import Shared
import TestSupport

/// Real upstream servers and a real data plane whose snapshot routes one endpoint to a pool of them.
struct UpstreamPoolFixture {
    let upstreams: [UpstreamServer]
    let dataPlane: DataPlaneHarness

    func url(_ path: String) -> String { dataPlane.url(path) }

    /// Starts one upstream per behaviour and a replica serving the endpoints `endpoints` makes of
    /// their base URLs; runs `body`; stops them all whatever happens.
    static func with(
        _ behaviours: [UpstreamBehaviour],
        endpoints: ([String]) -> [SnapshotEndpoint],
        _ body: (UpstreamPoolFixture) async throws -> Void
    ) async throws {
        var upstreams: [UpstreamServer] = []
        func stopUpstreams() async { for upstream in upstreams { await upstream.stop() } }
        let dataPlane: DataPlaneHarness
        do {
            for behaviour in behaviours { upstreams.append(try await UpstreamServer.start(behaviour)) }
            dataPlane = try await DataPlaneHarness.start(
                cachedSnapshot: .testing(version: 1, endpoints(upstreams.map(\.baseURL))))
        } catch {
            await stopUpstreams()
            throw error
        }
        do {
            try await body(UpstreamPoolFixture(upstreams: upstreams, dataPlane: dataPlane))
        } catch {
            print(dataPlane.process.logTail)
            dataPlane.stop()
            await stopUpstreams()
            throw error
        }
        dataPlane.stop()
        await stopUpstreams()
    }
}

extension SnapshotEndpoint {
    /// An endpoint for tests with a pool of upstreams and the traffic policies given.
    static func pool(
        _ name: String, _ upstreams: [UpstreamConfig], methods: [String] = ["GET", "POST"],
        balancing: LoadBalancing? = nil, retry: RetryPolicy? = nil, rateLimit: RateLimitPolicy? = nil,
        limits: UpstreamLimits? = nil, timeout: Int = 30
    ) -> SnapshotEndpoint {
        // Normalised as validation writes them, or the replica's checksum of the snapshot differs.
        let upstreams = upstreams.map { upstream in
            UpstreamConfig(
                url: (try? EndpointURL.parse(upstream.url).get())?.description ?? upstream.url, weight: upstream.weight)
        }
        return SnapshotEndpoint(
            config: EndpointConfig(
                name: name, url: upstreams[0].url, methods: methods, timeout: timeout, upstreams: upstreams,
                loadBalancing: balancing, retry: retry, rateLimit: rateLimit, upstreamLimits: limits),
            owner: .api, circuitBreaker: .defaults, healthCheck: .defaults, health: .unknown, status: .active)
    }
}
