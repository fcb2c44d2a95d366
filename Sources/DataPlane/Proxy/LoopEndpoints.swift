import Shared

/// What a request of one endpoint uses on one event loop: where it goes, the endpoint's balancing
/// and retry budget, and its counters. Made when the endpoint's route first serves a request on
/// the loop, so its parts sit together in memory; with 10,000 endpoints, a request reaches them
/// from its route with one array read (``LoopEndpoints``) instead of one table each.
package final class LoopEndpoint {
    /// The route this state was made for: a request on this same route finds it as is.
    package let route: RouteTable.Route
    package let upstreams: EndpointUpstreams
    /// Which upstream gets the next try, the requests in flight and the retry budget.
    package let balancer: EndpointBalancer
    package let counters: EndpointCounters
    // Copies of what every request reads of `upstreams`, here in the loop's own object.
    /// The first upstream: the only one, unless the endpoint has a pool.
    package let primary: UpstreamTarget?
    package let rateLimiter: EndpointRateLimiter?
    package let retryAttempts: Int
    package let retryPlan: ProxyConnectionStateMachine.RetryPlan
    /// Requests keep their body for a replay (``ProxyConnectionStateMachine/RetryPlan/replays``).
    package let replays: Bool
    package let limits: UpstreamLimits
    /// The endpoint's breaker, as last found: the registry checks that it still is.
    var breaker: BreakerRegistry.Cell?
    /// Where ``prefetch()`` stores what it read, so that its loads are kept.
    private var prefetched = 0

    init(route: RouteTable.Route, upstreams: EndpointUpstreams, balancer: EndpointBalancer, counters: EndpointCounters)
    {
        self.route = route
        self.upstreams = upstreams
        self.balancer = balancer
        self.counters = counters
        primary = upstreams.targets.first
        rateLimiter = upstreams.rateLimiter
        retryAttempts = upstreams.retry.attempts
        retryPlan = upstreams.retryPlan
        replays = upstreams.retryPlan.replays
        limits = upstreams.limits
    }

    /// Starts loading the objects a request of this endpoint reaches next: its counters, its
    /// balancer and its breaker. With thousands of endpoints they are seldom in cache; read here
    /// together, their cache misses overlap instead of following one another through the request.
    @inline(__always)
    func prefetch() {
        prefetched = counters.endpoint.utf8.count &+ (balancer.isPool ? 1 : 0) &+ (breaker?.name.utf8.count ?? 0)
    }

    /// The upstream at `index` of the endpoint's pool.
    package func target(_ index: Int) -> UpstreamTarget? {
        index == 0 ? primary : index < upstreams.targets.count ? upstreams.targets[index] : nil
    }
}

@available(*, unavailable)
extension LoopEndpoint: Sendable {}

/// One event loop's ``LoopEndpoint`` of each endpoint, by route slot (``RouteTable/Route/slot``).
/// Loop-owned, so no locks. A slot's state is made again when a newer snapshot changed its
/// endpoint (a new route): it keeps the endpoint's counters, and its balancer while the
/// upstreams are the same (otherwise the requests in flight to upstreams that stayed carry over).
package final class LoopEndpoints {
    private var slots: [LoopEndpoint?] = []

    package init() {}

    /// The state of `route`'s endpoint. `routes` are the loop's current routes, `traffic` its
    /// counters.
    package func state(for route: RouteTable.Route, routes: ProxyRoutes?, traffic: TrafficCounters) -> LoopEndpoint {
        let slot = route.slot
        if slot >= 0, slot < slots.count, let known = slots[slot], known.route === route { return known }
        return make(for: route, routes: routes, traffic: traffic)
    }

    private func make(for route: RouteTable.Route, routes: ProxyRoutes?, traffic: TrafficCounters) -> LoopEndpoint {
        let slot = route.slot
        let name = route.name
        let previous =
            slot >= 0 && slot < slots.count ? slots[slot].flatMap { $0.route.name == name ? $0 : nil } : nil
        let upstreams = routes?.upstreams(for: route) ?? EndpointUpstreams(route.endpoint.config)
        let balancer =
            previous.flatMap { $0.balancer.upstreams === upstreams ? $0.balancer : nil }
            ?? EndpointBalancer(upstreams: upstreams, previous: previous?.balancer)
        let state = LoopEndpoint(
            route: route, upstreams: upstreams, balancer: balancer,
            counters: previous?.counters ?? traffic.counters(for: name))
        // A route of an older snapshot (a request planned before the newest arrived) whose slot
        // now holds another endpoint gets a state of its own, not kept: the slot is the other's.
        guard slot >= 0, routes.map({ slot < $0.table.slots.count && $0.table.slots[slot] == name }) ?? true else {
            return state
        }
        // Slots are below the snapshot's endpoint count, so the array is bounded by it.
        if slot >= slots.count { slots.append(contentsOf: repeatElement(nil, count: slot + 1 - slots.count)) }
        slots[slot] = state
        return state
    }
}

@available(*, unavailable)
extension LoopEndpoints: Sendable {}
