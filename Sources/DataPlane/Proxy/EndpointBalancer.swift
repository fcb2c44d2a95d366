import NIOCore
import Shared

/// The upstream state of one endpoint on one event loop: its pool's balancer and its retry budget
/// (``RetryPolicy/minPerSecond`` is therefore each loop's).
package final class EndpointBalancer {
    package typealias Instant = ContinuousClock.Instant
    package let upstreams: EndpointUpstreams
    /// The endpoint has more than one upstream: with one, nothing here is kept per request, and
    /// this flag answers without reaching into the upstreams.
    package let isPool: Bool
    package private(set) var balancer: UpstreamBalancer<Instant>
    /// Until when each upstream that refused connections stays out of the rotation.
    private var ejectedUntil: [Instant?]
    /// Connections refused in a row per upstream: each doubles the time out, up to
    /// ``maximumEjection``.
    private var refusals: [Int]
    private var ejectedCount = 0
    /// The upstreams the control plane's probes found unhealthy, as of ``healthGeneration``.
    private var healthDown = UpstreamIndexSet()
    private var healthGeneration = -1
    /// The upstreams out of the rotation because their breaker refused a try, and the count of
    /// operator resets of the replica's breakers seen so far (a reset brings them back at once).
    private var breakerEjected = UpstreamIndexSet()
    private var breakerResets = 0
    private var budget: RetryBudget

    static let firstEjection = Duration.seconds(1)
    static let maximumEjection = Duration.seconds(30)

    package init(upstreams: EndpointUpstreams, previous: EndpointBalancer?) {
        self.upstreams = upstreams
        isPool = upstreams.isPool
        balancer = UpstreamBalancer(
            weights: upstreams.weights, policy: upstreams.policy, slowStart: upstreams.slowStart)
        ejectedUntil = Array(repeating: nil, count: upstreams.weights.count)
        refusals = Array(repeating: 0, count: upstreams.weights.count)
        budget = RetryBudget(budgetPercent: upstreams.retry.budgetPercent, minPerSecond: upstreams.retry.minPerSecond)
        if let previous {
            // Upstreams that stayed keep their requests in flight and their time out.
            let newURLs = upstreams.pool.map(\.url)
            let newIndex = { (old: Int) -> Int? in
                old < previous.upstreams.pool.count ? newURLs.firstIndex(of: previous.upstreams.pool[old].url) : nil
            }
            balancer.carryOver(from: previous.balancer, newIndex: newIndex)
            for old in previous.ejectedUntil.indices {
                guard let index = newIndex(old) else { continue }
                refusals[index] = previous.refusals[old]
                if let until = previous.ejectedUntil[old] {
                    ejectedUntil[index] = until
                    ejectedCount += 1
                }
            }
        }
    }

    /// A client request to the endpoint began (admitted by its breaker).
    package func requestStarted() { budget.requestStarted() }

    /// A request counted by ``requestStarted()`` ended, after `retries` retries that
    /// ``mayRetry(now:)`` allowed.
    package func requestFinished(retries: Int) {
        budget.requestFinished()
        for _ in 0..<retries { budget.retryFinished() }
    }

    /// Whether the budget allows one more retry now; reserves it when it does.
    package func mayRetry(now: NIODeadline) -> Bool {
        budget.mayRetry(now: Int64(truncatingIfNeeded: now.uptimeNanoseconds))
    }

    /// Retries the budget refused since this state was made.
    package var retriesRefused: Int { budget.exhausted }

    /// The upstream for the next try of a request, passing over `tried` while another remains;
    /// counted in flight until ``finished(_:)``. An upstream whose time out ended by `now` is back
    /// in the rotation; one `health` says is unhealthy is out of it (one that recovered is back,
    /// with its slow start).
    package func pick(
        avoiding tried: UpstreamIndexSet, now: Instant, health: UpstreamHealthBoard, breakerResets: Int = 0,
        random: inout some RandomNumberGenerator
    ) -> Int {
        guard isPool else { return 0 }
        if health.generation != healthGeneration { applyHealth(health, now: now) }
        if breakerResets != self.breakerResets { readmitBreakerEjected(resets: breakerResets, now: now) }
        if ejectedCount > 0 { readmit(now: now) }
        let index = balancer.pick(avoiding: tried, now: now, using: &random)
        balancer.started(index)
        return index
    }

    /// A try picked by ``pick(avoiding:random:)`` is over.
    package func finished(_ index: Int) {
        guard isPool else { return }
        balancer.finished(index)
    }

    /// Upstream `index` refused a connection: out of the rotation for a while.
    package func refused(_ index: Int, now: Instant) {
        guard isPool, index < refusals.count else { return }
        refusals[index] += 1
        let doublings = min(refusals[index] - 1, 5)
        let time = min(Self.firstEjection * (1 << doublings), Self.maximumEjection)
        if ejectedUntil[index] == nil { ejectedCount += 1 }
        ejectedUntil[index] = now + time
        balancer.setEligible(index, false, now: now)
    }

    /// Upstream `index`'s breaker refused a try: out of this loop's rotation until it may admit
    /// one again.
    package func breakerRejected(_ index: Int, retryAfter: Duration, now: Instant) {
        guard isPool, index < ejectedUntil.count else { return }
        if ejectedUntil[index] == nil { ejectedCount += 1 }
        ejectedUntil[index] = max(ejectedUntil[index] ?? now, now + retryAfter)
        breakerEjected.insert(index)
        balancer.setEligible(index, false, now: now)
    }

    /// The replica's breakers were reset: upstreams their breaker took out come back (those that
    /// refused connections keep their time out).
    private func readmitBreakerEjected(resets: Int, now: Instant) {
        breakerResets = resets
        guard !breakerEjected.isEmpty else { return }
        for index in ejectedUntil.indices where breakerEjected.contains(index) && refusals[index] == 0 {
            if ejectedUntil[index] != nil {
                ejectedUntil[index] = nil
                ejectedCount -= 1
            }
            balancer.setEligible(index, !healthDown.contains(index), now: now)
        }
        breakerEjected = UpstreamIndexSet()
    }

    /// Upstream `index` accepted a connection.
    package func connected(_ index: Int) {
        guard isPool, index < refusals.count, refusals[index] > 0 else { return }
        refusals[index] = 0
    }

    /// Puts the upstreams whose time out is over back into the rotation.
    private func readmit(now: Instant) {
        for index in ejectedUntil.indices {
            guard let until = ejectedUntil[index], until <= now else { continue }
            ejectedUntil[index] = nil
            ejectedCount -= 1
            breakerEjected.remove(index)
            balancer.setEligible(index, !healthDown.contains(index), now: now)
        }
    }

    /// Takes the board's word on which upstreams are unhealthy.
    private func applyHealth(_ health: UpstreamHealthBoard, now: Instant) {
        healthGeneration = health.generation
        let unhealthy = health.unhealthyUpstreams(of: upstreams.endpoint)
        var down = UpstreamIndexSet()
        let count = min(upstreams.pool.count, balancer.count)
        if !unhealthy.isEmpty {
            for index in 0..<count where unhealthy.contains(upstreams.pool[index].url) { down.insert(index) }
        }
        healthDown = down
        // Every upstream, not only those that changed: a balancer carried over from an older
        // configuration starts with the eligibility it had then.
        for index in 0..<count {
            balancer.setEligible(index, !down.contains(index) && ejectedUntil[index] == nil, now: now)
        }
    }
}

@available(*, unavailable)
extension EndpointBalancer: Sendable {}
