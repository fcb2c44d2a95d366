import NIOCore
import Shared

/// What the hot path needs about an endpoint's upstreams, computed once per snapshot change of
/// the endpoint: each instance's target, the balancing, retry and rate-limit policies. Shared by
/// every event loop; immutable but for the rate limiter's buckets, which are the replica's. Each
/// loop keeps its own balancing state (``EndpointBalancer``).
package final class EndpointUpstreams: Sendable {
    /// The endpoint's name: what upstream health and breakers are kept by.
    package let endpoint: String
    package let targets: [UpstreamTarget]
    package let weights: [Int]
    package let policy: LoadBalancing
    package let retry: RetryPolicy
    /// What the retry policy retries besides refused connections, parsed once.
    package let retryPlan: ProxyConnectionStateMachine.RetryPlan
    /// How long an upstream back in the rotation takes to get its whole weight.
    package let slowStart: Duration
    /// Connections and waiting requests per upstream and replica.
    package let limits: UpstreamLimits
    /// The endpoint's rate limit, when it has one.
    package let rateLimiter: EndpointRateLimiter?
    /// The pool as configured: what an update compares to keep this object (and the loops'
    /// balancing state) when only other fields of the endpoint changed.
    package let pool: [UpstreamConfig]

    package init(_ config: EndpointConfig) {
        let pool = config.upstreamPool
        self.endpoint = config.name
        self.pool = pool
        self.targets = pool.compactMap { upstream in
            (try? EndpointURL.parse(upstream.url).get()).map(UpstreamTarget.init)
        }
        self.weights = pool.map(\.weight)
        self.policy = config.loadBalancing ?? .roundRobin
        self.retry = config.retryPolicy
        self.retryPlan = .init(
            statuses: retry.statusSet,
            perTryTimeout: retry.perTryTimeout.map { .nanoseconds(Int64(($0 * 1e9).rounded())) })
        self.rateLimiter = config.rateLimit.map(EndpointRateLimiter.init)
        self.limits = config.upstreamLimits ?? .defaults
        self.slowStart = Self.slowStart(of: config)
    }

    /// `previous` when `config` has the same pool and policies, else a new one.
    static func reusing(_ previous: EndpointUpstreams?, for config: EndpointConfig) -> EndpointUpstreams {
        if let previous, previous.endpoint == config.name, previous.pool == config.upstreamPool,
            previous.policy == (config.loadBalancing ?? .roundRobin),
            previous.retry == config.retryPolicy, previous.rateLimiter?.policy == config.rateLimit,
            previous.limits == config.upstreamLimits ?? .defaults,
            previous.slowStart == slowStart(of: config)
        {
            return previous
        }
        return EndpointUpstreams(config)
    }

    /// `slow_start` as a duration (none: zero).
    static func slowStart(of config: EndpointConfig) -> Duration {
        .milliseconds(Int64(((config.slowStart ?? 0) * 1000).rounded()))
    }

    /// The endpoint has more than one instance to choose from.
    package var isPool: Bool { targets.count > 1 }
}

/// One upstream instance: its base URL, its `Host` header value and its connection pool key.
package struct UpstreamTarget: Sendable {
    package let url: EndpointURL
    package let authority: String
    package let key: UpstreamConnectionPool.Key

    package init(_ url: EndpointURL) {
        self.url = url
        authority = url.authority
        key = .init(host: url.host, port: url.port, tls: url.isTLS)
    }
}
