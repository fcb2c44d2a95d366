import DataPlane
import NIOCore
import NIOPosix
import Shared
import Testing

/// Installing a snapshot hands its routes and limits to every event loop.
@Suite struct LoopStatesSnapshotTests {
    static func snapshot(version: Int, proxy: ProxyLimits?) -> Snapshot {
        let endpoint = SnapshotEndpoint(
            config: EndpointConfig(name: "svc", url: "http://127.0.0.1:9/svc"), owner: .api, circuitBreaker: .defaults,
            healthCheck: .defaults, health: .unknown, status: .active)
        return Snapshot(
            version: version, createdAt: "2026-11-26T14:02:38Z", cause: "test", endpoints: [endpoint], proxy: proxy)
    }

    @Test func everyLoopTakesTheSnapshotsLimitsAndDefaultsWithoutThem() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let states = try await LoopStates.make(
            group: group, environment: ProxyEnvironment(replicaID: "limits-test", tlsContext: nil))
        #expect(try await states.forEach { $0.limits }.get() == [.defaults, .defaults])

        let limits = ProxyLimits(headerTimeout: 1.5, maxConnections: 10, maxPipelined: 2)
        try await states.install(Self.snapshot(version: 1, proxy: limits))
        #expect(try await states.forEach { $0.limits }.get() == [limits, limits])
        #expect(try await states.holdSnapshot())

        try await states.install(Self.snapshot(version: 2, proxy: nil))
        #expect(try await states.forEach { $0.limits }.get() == [.defaults, .defaults])
        try await group.shutdownGracefully()
    }
}
