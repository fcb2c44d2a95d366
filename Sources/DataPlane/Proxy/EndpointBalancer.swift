import NIOCore
import Shared

/// One event loop's upstream state of every endpoint: which upstream of a pool gets the next
/// request, the requests in flight (per upstream, and for the retry budget), and the upstreams
/// taken out of the rotation after refusing a connection. Loop-owned, so no locks; kept by route
/// slot like the loop's traffic counters.
package final class BalancerTable {
    private var slots: [EndpointBalancer?] = []

    package init() {}

    /// The balancer of `upstreams` (an endpoint's, at route slot `slot`); a new one when the
    /// slot held another endpoint's or an older configuration's (requests in flight to an upstream
    /// that stayed are carried over).
    package func balancer(slot: Int, upstreams: EndpointUpstreams) -> EndpointBalancer {
        if slot >= 0, slot < slots.count, let existing = slots[slot], existing.upstreams === upstreams {
            return existing
        }
        let previous = slot >= 0 && slot < slots.count ? slots[slot] : nil
        let balancer = EndpointBalancer(upstreams: upstreams, previous: previous)
        guard slot >= 0 else { return balancer }
        // Slots are below the snapshot's endpoint count, so the array is bounded by it.
        if slot >= slots.count { slots.append(contentsOf: repeatElement(nil, count: slot + 1 - slots.count)) }
        slots[slot] = balancer
        return balancer
    }
}

@available(*, unavailable)
extension BalancerTable: Sendable {}

/// The upstream state of one endpoint on one event loop: its pool's balancer and its retry budget
/// (``RetryPolicy/minPerSecond`` is therefore each loop's).
package final class EndpointBalancer {
    package typealias Instant = ContinuousClock.Instant
    package let upstreams: EndpointUpstreams
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
        guard upstreams.targets.count > 1 else { return 0 }
        if health.generation != healthGeneration { applyHealth(health, now: now) }
        if breakerResets != self.breakerResets { readmitBreakerEjected(resets: breakerResets, now: now) }
        if ejectedCount > 0 { readmit(now: now) }
        let index = balancer.pick(avoiding: tried, now: now, using: &random)
        balancer.started(index)
        return index
    }

    /// A try picked by ``pick(avoiding:random:)`` is over.
    package func finished(_ index: Int) {
        guard upstreams.targets.count > 1 else { return }
        balancer.finished(index)
    }

    /// Upstream `index` refused a connection: out of the rotation for a while.
    package func refused(_ index: Int, now: Instant) {
        guard upstreams.targets.count > 1, index < refusals.count else { return }
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
        guard upstreams.targets.count > 1, index < ejectedUntil.count else { return }
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
        guard upstreams.targets.count > 1, index < refusals.count, refusals[index] > 0 else { return }
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
