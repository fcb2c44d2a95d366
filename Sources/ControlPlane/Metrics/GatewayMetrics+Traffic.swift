import Prometheus
import Shared

/// Which endpoints of the snapshot use which traffic features: the series of a feature are
/// registered at 0 for the endpoints that configure it (others get them with their first count),
/// so that 10,000 plain endpoints do not carry series they never fill.
package struct TrafficFeatures: Sendable {
    /// Upstream URLs by pool endpoint.
    package var pools: [String: [String]] = [:]
    /// Endpoints with a retry policy or a pool.
    package var retrying: Set<String> = []
    /// Endpoints with a rate limit.
    package var rateLimited: Set<String> = []
    /// Probed pool upstreams and whether the health checker finds them healthy.
    package var upstreamHealth: [(endpoint: String, upstream: String, healthy: Bool)] = []

    package init() {}

    /// The features of `snapshot`'s endpoints, with each probed pool upstream's health.
    package init(_ snapshot: Snapshot, upstreamHealth: [String: [String: EndpointHealth]]) {
        for endpoint in snapshot.endpoints {
            let config = endpoint.config
            if let upstreams = config.upstreams, upstreams.count > 1 {
                pools[endpoint.name] = upstreams.map(\.url)
                for upstream in upstreams {
                    guard let health = upstreamHealth[endpoint.name]?[upstream.url], health != .unknown else {
                        continue
                    }
                    self.upstreamHealth.append((endpoint.name, upstream.url, health == .healthy))
                }
            }
            if config.retry != nil || pools[endpoint.name] != nil { retrying.insert(endpoint.name) }
            if config.rateLimit != nil { rateLimited.insert(endpoint.name) }
        }
    }
}

extension GatewayMetrics {
    /// Registers at 0 the series of `slot` for the features its endpoints use.
    func registerTrafficFeatures(slot: String, _ features: TrafficFeatures, _ state: inout State) {
        _ = slotGauge("orch_open_tunnels", Help.openTunnels, slot, &state)
        for endpoint in features.retrying {
            for reason in Self.retryReasons { _ = retries(slot, endpoint, reason, &state) }
            _ = endpointCounter("orch_retry_budget_exhausted_total", Help.budgetExhausted, slot, endpoint, &state)
        }
        for endpoint in features.rateLimited {
            _ = endpointCounter("orch_rate_limited_total", Help.rateLimited, slot, endpoint, &state)
        }
        for (endpoint, upstreams) in features.pools {
            for upstream in upstreams {
                for family in [UpstreamFamily.requests, .failures] {
                    _ = upstreamCounter(family, slot, endpoint, upstream, &state)
                }
                for family in [UpstreamFamily.inFlight, .breaker] {
                    _ = upstreamGauge(family, slot, endpoint, upstream, &state)
                }
            }
        }
    }

    /// Adds one replica's retries, refused retries and rate-limited requests of one endpoint.
    func addRetriesAndLimits(
        _ traffic: EndpointTraffic, since previous: EndpointTraffic?, slot: String, _ state: inout State
    ) {
        let endpoint = traffic.endpoint
        for (reason, count) in traffic.retries ?? [:] where Self.retryReasons.contains(reason) {
            let delta = Self.delta(count, previous?.retries?[reason] ?? 0)
            if delta > 0 { retries(slot, endpoint, reason, &state).increment(by: Int64(delta)) }
        }
        let exhausted = Self.delta(traffic.retryBudgetExhausted ?? 0, previous?.retryBudgetExhausted ?? 0)
        if exhausted > 0 {
            endpointCounter("orch_retry_budget_exhausted_total", Help.budgetExhausted, slot, endpoint, &state)
                .increment(by: Int64(exhausted))
        }
        let limited = Self.delta(traffic.rateLimited ?? 0, previous?.rateLimited ?? 0)
        if limited > 0 {
            endpointCounter("orch_rate_limited_total", Help.rateLimited, slot, endpoint, &state)
                .increment(by: Int64(limited))
        }
    }

    /// The per-upstream series of the pools, from the breakers the replicas report (tries and
    /// failures as counters, in-flight tries summed and breaker states at their worst per slot),
    /// and the probes' health of each upstream.
    func updateUpstreams(
        _ input: Input, slotOf: [String: String], liveIds: Set<String>, endpoints: Set<String>, _ state: inout State
    ) {
        let pools = input.features.pools
        var inFlight: [State.Scope: Int] = [:]
        var breakers: [State.Scope: Double] = [:]
        var seen: [String: [String: [String: (requests: Int, errors: Int)]]] = [:]
        for (id, breaker) in input.breakers where liveIds.contains(id) {
            guard let slot = slotOf[id], let urls = pools[breaker.endpoint], let upstreams = breaker.upstreams else {
                continue
            }
            let endpoint = breaker.endpoint
            for upstream in upstreams where urls.contains(upstream.url) {
                let before = state.lastUpstreams[id]?[endpoint]?[upstream.url]
                seen[id, default: [:]][endpoint, default: [:]][upstream.url] = (upstream.requests, upstream.errors)
                let requests = Self.delta(upstream.requests, before?.requests ?? 0)
                let errors = Self.delta(upstream.errors, before?.errors ?? 0)
                if requests > 0 {
                    upstreamCounter(.requests, slot, endpoint, upstream.url, &state)
                        .increment(by: Int64(requests))
                }
                if errors > 0 {
                    upstreamCounter(.failures, slot, endpoint, upstream.url, &state)
                        .increment(by: Int64(errors))
                }
                let scope = State.Scope(slot: slot, endpoint: endpoint, upstream: upstream.url)
                inFlight[scope, default: 0] += upstream.inFlight
                breakers[scope] = max(breakers[scope] ?? 0, Self.breakerValue(upstream.state))
            }
        }
        state.lastUpstreams = seen
        for (scope, value) in inFlight {
            upstreamGauge(.inFlight, scope.slot!, scope.endpoint!, scope.upstream!, &state)
                .set(Double(value))
        }
        for (scope, value) in breakers {
            upstreamGauge(.breaker, scope.slot!, scope.endpoint!, scope.upstream!, &state)
                .set(to: value)
        }
        for (endpoint, upstream, healthy) in input.features.upstreamHealth where endpoints.contains(endpoint) {
            gauge(
                "orch_upstream_healthy", Help.upstreamHealthy, [("endpoint", endpoint), ("upstream", upstream)],
                .init(endpoint: endpoint, upstream: upstream), &state
            ).set(to: healthy ? 1.0 : 0.0)
        }
    }

    static let retryReasons = ["connect", "overloaded", "status", "timeout"]

    private func retries(_ slot: String, _ endpoint: String, _ reason: String, _ state: inout State) -> Counter {
        counter(
            "orch_retries_total", Help.retries, [("replica", slot), ("endpoint", endpoint), ("reason", reason)],
            .init(slot: slot, endpoint: endpoint), &state)
    }

    private func endpointCounter(
        _ name: String, _ help: String, _ slot: String, _ endpoint: String, _ state: inout State
    ) -> Counter {
        counter(name, help, [("replica", slot), ("endpoint", endpoint)], .init(slot: slot, endpoint: endpoint), &state)
    }

    /// The series of one pool upstream, by family.
    private enum UpstreamFamily: String {
        case requests = "orch_upstream_requests_total"
        case failures = "orch_upstream_failures_total"
        case inFlight = "orch_upstream_in_flight"
        case breaker = "orch_upstream_breaker_state"

        var help: String {
            switch self {
            case .requests: Help.upstreamRequests
            case .failures: Help.upstreamFailures
            case .inFlight: Help.upstreamInFlight
            case .breaker: Help.upstreamBreaker
            }
        }
    }

    private func upstreamCounter(
        _ family: UpstreamFamily, _ slot: String, _ endpoint: String, _ upstream: String, _ state: inout State
    ) -> Counter {
        counter(
            family.rawValue, family.help, [("replica", slot), ("endpoint", endpoint), ("upstream", upstream)],
            .init(slot: slot, endpoint: endpoint, upstream: upstream), &state)
    }

    private func upstreamGauge(
        _ family: UpstreamFamily, _ slot: String, _ endpoint: String, _ upstream: String, _ state: inout State
    ) -> Gauge {
        gauge(
            family.rawValue, family.help, [("replica", slot), ("endpoint", endpoint), ("upstream", upstream)],
            .init(slot: slot, endpoint: endpoint, upstream: upstream), &state)
    }
}
