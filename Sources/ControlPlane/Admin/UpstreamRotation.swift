import Shared

/// Which upstreams of a pool the replicas keep in the rotation, as the control plane sees it
/// (the probes' health and the breakers the replicas report), and the one a replica with no
/// traffic yet sends a request to. Replicas spread the requests after that by the endpoint's
/// `load_balancing`, and also leave out for a while upstreams that refuse connections.
struct UpstreamRotation {
    /// The upstreams not found unhealthy by their probes and whose breaker is not open in any
    /// replica; all of them when fewer than half are (panic, as the replicas do).
    let inRotation: [UpstreamConfig]

    init(pool: [UpstreamConfig], health: [String: EndpointHealth], breakers: [String: (state: String, inFlight: Int)]) {
        let eligible = pool.filter { health[$0.url] != .unhealthy && breakers[$0.url]?.state != "open" }
        inRotation = eligible.count * 2 < pool.count ? pool : eligible
    }

    /// The first pick of a fresh smooth weighted round robin: the highest weight, the first of
    /// equals.
    var first: UpstreamConfig {
        inRotation.reduce(inRotation[0]) { best, next in next.weight > best.weight ? next : best }
    }
}
