import Foundation
import Shared
import TestSupport

/// A real upstream server and a real data plane serving a cached snapshot that routes to it.
struct ProxyFixture {
    let upstream: UpstreamServer
    let dataPlane: DataPlaneHarness

    var port: Int { dataPlane.port }

    func url(_ path: String) -> String { dataPlane.url(path) }

    /// The endpoints most tests use, all pointing at `base`.
    static func standardEndpoints(_ base: String) -> [SnapshotEndpoint] {
        [
            // The longest timeout: 100 MiB bodies in debug builds on a loaded machine take a while.
            .testing(
                "svc", url: base + "/api", version: "v1", methods: EndpointConfig.allowedMethods, timeout: 300),
            .testing("q", url: base + "/q?fixed=1"),
            .testing("ro", url: base + "/ro", methods: ["GET", "POST"]),
            .testing("off", url: base + "/off", methods: ["GET"], disabled: true),
            .testing("paused", url: base + "/paused", status: .inactive),
            .testing("sick", url: base + "/sick", methods: ["GET"], health: .unhealthy),
            .testing("forced", url: base + "/forced", status: .unhealthy),
            .testing("slow", url: base + "/slow", timeout: 1),
            // Nothing listens on port 1 of the loopback interface: connections are refused.
            .testing("dead", url: "http://127.0.0.1:1/dead"),
        ]
    }

    /// Starts both, runs `body`, and stops both whatever happens.
    static func with(
        _ behaviour: UpstreamBehaviour = .echo,
        endpoints: (String) -> [SnapshotEndpoint] = standardEndpoints,
        _ body: (ProxyFixture) async throws -> Void
    ) async throws {
        let upstream = try await UpstreamServer.start(behaviour)
        let dataPlane: DataPlaneHarness
        do {
            dataPlane = try await DataPlaneHarness.start(
                cachedSnapshot: .testing(version: 1, endpoints(upstream.baseURL)))
        } catch {
            await upstream.stop()
            throw error
        }
        do {
            try await body(ProxyFixture(upstream: upstream, dataPlane: dataPlane))
        } catch {
            print(dataPlane.process.logTail)
            dataPlane.stop()
            await upstream.stop()
            throw error
        }
        dataPlane.stop()
        await upstream.stop()
    }
}
