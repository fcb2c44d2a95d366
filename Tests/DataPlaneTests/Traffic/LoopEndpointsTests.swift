import DataPlane
import Shared
import TestSupport
import Testing

/// A loop's state of each endpoint, found by route slot: the same state for the same route, and
/// a slot that a newer snapshot changed is made again, keeping what belongs to its endpoint.
@Suite struct LoopEndpointsTests {
    static func endpoint(_ name: String, pool: [String]? = nil, timeout: Int = 30) -> SnapshotEndpoint {
        let url = pool?.first ?? "http://\(name).internal/"
        return SnapshotEndpoint(
            config: EndpointConfig(
                name: name, url: url, timeout: timeout, upstreams: pool?.map { UpstreamConfig(url: $0) }),
            owner: .api, circuitBreaker: .defaults, healthCheck: .defaults, health: .unknown, status: .active)
    }

    @Test func aRouteFindsTheSameStateWithItsEndpointsCountersEachTime() throws {
        let routes = ProxyRoutes(snapshot: .testing(version: 1, [Self.endpoint("orders"), Self.endpoint("users")]))
        let traffic = TrafficCounters()
        let endpoints = LoopEndpoints()
        let orders = try #require(routes.table.routes["orders"])
        let state = endpoints.state(for: orders, routes: routes, traffic: traffic)
        #expect(endpoints.state(for: orders, routes: routes, traffic: traffic) === state)
        #expect(state.counters === traffic.counters(for: "orders"))
        #expect(state.upstreams === routes.upstreams(for: orders))
        #expect(state.upstreams.targets[0].authority == "orders.internal")
        let users = try #require(routes.table.routes["users"])
        #expect(
            endpoints.state(for: users, routes: routes, traffic: traffic).counters === traffic.counters(for: "users"))
    }

    @Test func aSlotGivenToAnotherEndpointByANewSnapshotGetsThatEndpointsState() throws {
        let traffic = TrafficCounters()
        let endpoints = LoopEndpoints()
        let old = ProxyRoutes(snapshot: .testing(version: 1, [Self.endpoint("orders")]))
        let oldOrders = try #require(old.table.routes["orders"])
        endpoints.state(for: oldOrders, routes: old, traffic: traffic).counters.recordResponse(status: 200)
        // The next snapshot puts "users" first: slot 0 now means users, and orders moved.
        let new = ProxyRoutes(snapshot: .testing(version: 2, [Self.endpoint("users"), Self.endpoint("orders")]))
        let users = try #require(new.table.routes["users"])
        let orders = try #require(new.table.routes["orders"])
        #expect(users.slot == oldOrders.slot)
        let usersState = endpoints.state(for: users, routes: new, traffic: traffic)
        #expect(usersState.counters === traffic.counters(for: "users"))
        #expect(usersState.upstreams.targets[0].authority == "users.internal")
        let ordersState = endpoints.state(for: orders, routes: new, traffic: traffic)
        #expect(ordersState.counters === traffic.counters(for: "orders"))
        #expect(endpoints.state(for: users, routes: new, traffic: traffic) === usersState)
        let report = traffic.report(pooledConnections: 0)
        #expect(report.endpoints.first { $0.endpoint == "orders" }?.responses["2xx"] == 1)
    }

    @Test func anUpdatedEndpointKeepsItsCountersAndItsBalancerWhileItsPoolStays() throws {
        let traffic = TrafficCounters()
        let endpoints = LoopEndpoints()
        let pool = ["http://a.internal/", "http://b.internal/"]
        let old = ProxyRoutes(snapshot: .testing(version: 1, [Self.endpoint("svc", pool: pool)]))
        let before = endpoints.state(for: try #require(old.table.routes["svc"]), routes: old, traffic: traffic)

        let slower = Self.endpoint("svc", pool: pool, timeout: 60)
        let timeout = ProxyRoutes(
            snapshot: .testing(version: 2, [slower]), updating: old, upserting: [slower], removing: [])
        let route = try #require(timeout.table.routes["svc"])
        let after = endpoints.state(for: route, routes: timeout, traffic: traffic)
        #expect(after !== before)
        #expect(after.route === route)
        #expect(after.balancer === before.balancer)
        #expect(after.counters === before.counters)

        let moved = Self.endpoint("svc", pool: ["http://b.internal/", "http://c.internal/"])
        let newPool = ProxyRoutes(
            snapshot: .testing(version: 3, [moved]), updating: timeout, upserting: [moved], removing: [])
        let last = endpoints.state(for: try #require(newPool.table.routes["svc"]), routes: newPool, traffic: traffic)
        #expect(last.balancer !== before.balancer)
        #expect(last.upstreams.pool.map(\.url) == ["http://b.internal/", "http://c.internal/"])
        #expect(last.counters === before.counters)
    }

    @Test func aRouteOfAnOlderSnapshotDoesNotTakeTheSlotOfTheEndpointThatHasItNow() throws {
        let traffic = TrafficCounters()
        let endpoints = LoopEndpoints()
        let old = ProxyRoutes(snapshot: .testing(version: 1, [Self.endpoint("a")]))
        let oldA = try #require(old.table.routes["a"])
        // "a" is removed and "c" takes its freed slot.
        let new = ProxyRoutes(
            snapshot: .testing(version: 2, [Self.endpoint("c")]), updating: old, upserting: [Self.endpoint("c")],
            removing: ["a"])
        let c = try #require(new.table.routes["c"])
        #expect(c.slot == oldA.slot)
        let cState = endpoints.state(for: c, routes: new, traffic: traffic)

        // A request planned on the old table still goes to "a", and is counted as "a"'s.
        let aState = endpoints.state(for: oldA, routes: new, traffic: traffic)
        #expect(aState.upstreams.targets[0].authority == "a.internal")
        #expect(aState.counters === traffic.counters(for: "a"))
        #expect(endpoints.state(for: c, routes: new, traffic: traffic) === cState)
    }

    @Test func aStateHoldsWhatRequestsReadOfItsUpstreams() throws {
        let pool = ["http://a.internal:81/a", "http://b.internal:82/b"]
        let routes = ProxyRoutes(snapshot: .testing(version: 1, [Self.endpoint("svc", pool: pool)]))
        let state = LoopEndpoints().state(
            for: try #require(routes.table.routes["svc"]), routes: routes, traffic: TrafficCounters())
        let upstreams = state.upstreams
        #expect(state.target(0)?.authority == "a.internal:81")
        #expect(state.target(1)?.authority == "b.internal:82")
        #expect(state.target(2) == nil)
        #expect(state.balancer.isPool)
        #expect(state.retryAttempts == upstreams.retry.attempts)
        #expect(state.replays == upstreams.retryPlan.replays)
        #expect(state.limits == upstreams.limits)
        #expect(state.rateLimiter == nil && upstreams.rateLimiter == nil)
    }
}
