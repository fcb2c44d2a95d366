import Shared
import TestSupport
import Testing

@testable import DataPlane

/// The replica updates its route table by the change a delta or a health update makes instead of
/// building it from every endpoint: the result routes exactly as a table built whole from the
/// snapshot served.
@Suite struct IncrementalRoutesTests {
    static func endpoint(_ name: String, _ host: String = "up.internal") -> SnapshotEndpoint {
        .testing(name, url: "http://\(host)/\(name)")
    }

    /// What decides where a route's requests go.
    struct Described: Equatable {
        var endpoint: SnapshotEndpoint
        var url: String
        var target: String
    }

    /// Every route of `routes`: endpoint (health included), URL and upstream target.
    static func described(_ routes: ProxyRoutes) -> [String: Described] {
        routes.table.routes.mapValues { route in
            let target = routes.upstreams(for: route).targets[0]
            return Described(
                endpoint: route.endpoint, url: "\(route.url.authority) \(route.url.target(rest: "x", query: nil))",
                target: "\(target.authority) \(target.key)")
        }
    }

    @Test func deltasAndHealthUpdatesGiveTheTableOfTheSnapshotServed() {
        var content = SnapshotContent(
            [(Self.endpoint("a"), 1), (Self.endpoint("b"), 2), (Self.endpoint("c"), 3)], proxy: nil, tls: nil)
        let first = content.snapshot(version: 1, createdAt: "t", cause: "test")
        var held = HeldSnapshot(version: nil)
        held.installed(first, content: content)
        var routes = ProxyRoutes(snapshot: first)

        // A health update for the served version: only the endpoints it names change.
        let down = HealthUpdate(version: 1, seq: 1, endpoints: ["a": .unhealthy])
        let change = held.routesChange(applying: down)
        guard case .install(let served) = held.received(down), let change else {
            Issue.record("the update was not installed, or its change not known")
            return
        }
        #expect(change.upserting.map(\.name) == ["a"])
        routes = ProxyRoutes(
            snapshot: served, updating: routes, upserting: change.upserting, removing: change.removing)
        #expect(Self.described(routes) == Self.described(ProxyRoutes(snapshot: served)))

        // The next version's health arrives first (b down), then its delta: d added, c removed,
        // a moved to another host. a's health from the old update ends with its version.
        #expect(held.received(HealthUpdate(version: 2, seq: 2, endpoints: ["b": .unhealthy])) == .ignore)
        let delta = SnapshotDelta(
            upsert: [
                .init(seq: 1, endpoint: Self.endpoint("a", "moved.internal")),
                .init(seq: 4, endpoint: Self.endpoint("d")),
            ],
            remove: ["c"])
        delta.apply(to: &content)
        let second = content.snapshot(version: 2, createdAt: "t", cause: "test")
        let next = held.routesChange(to: second, by: delta, content: content)
        #expect(Set(next.upserting.map(\.name)) == ["a", "b", "d"])
        #expect(next.removing == ["c"])
        let serving = held.serving(second)
        routes = ProxyRoutes(snapshot: serving, updating: routes, upserting: next.upserting, removing: next.removing)
        held.installed(second, content: content)
        let whole = ProxyRoutes(snapshot: serving)
        #expect(Self.described(routes) == Self.described(whole))
        #expect(routes.table.routes["b"]?.endpoint.health == .unhealthy)
        #expect(routes.table.routes["a"]?.endpoint.health == .unknown)
        #expect(routes.table.routes["c"] == nil)
        // d took the slot c freed; a kept its own.
        #expect(routes.table.routes["d"]?.slot == 2)
        #expect(routes.table.routes["a"]?.slot == 0)
    }
}
