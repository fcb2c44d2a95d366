import Foundation
import NIOConcurrencyHelpers
import Shared

// Outlier ejection: each upstream of a pool has a breaker of its own, with the endpoint's policy,
// that counts tries (the endpoint's breaker counts requests, after their retries). A try goes to
// an upstream whose breaker admits it; the cells also count each upstream's tries, failures and
// tries in flight, for the replica's reports.

extension BreakerRegistry {
    package typealias Admission = BreakerStateMachine<ContinuousClock.Instant>.Admission
    package typealias Outcome = BreakerStateMachine<ContinuousClock.Instant>.Outcome

    /// Whether a try of a request to `endpoint` (admitted by its breaker) may go to upstream
    /// `index` of `pool`. With `force` it goes whatever the upstream's breaker says (every
    /// upstream refused it): counted, but no trial. An admitted try is settled with
    /// ``recordUpstream(_:_:url:_:trial:)``.
    package func admitUpstream(
        _ endpoint: String, _ index: Int, of pool: [UpstreamConfig], policy: BreakerPolicy, force: Bool = false
    ) -> Admission {
        guard index < pool.count else { return .allowed(trial: nil) }
        let now = ContinuousClock.now
        let (admission, changed) = cells.withLockedValue { cells -> (Admission, String?) in
            guard let cell = cells[endpoint] else { return (.allowed(trial: nil), nil) }
            let upstream = cell.upstream(index, of: pool, policy: policy)
            if force {
                upstream.tryStarted()
                return (.allowed(trial: nil), nil)
            }
            let (admission, transition) = upstream.machine.admit(now: now)
            switch admission {
            case .allowed: upstream.tryStarted()
            case .rejected: upstream.rejected += 1
            }
            if transition != nil { upstream.noteTransition() }
            return (admission, transition.map { _ in upstream.machine.stateName })
        }
        if let changed { transitioned("\(endpoint) (upstream \(pool[index].url))", changed) }
        return admission
    }

    /// Records how a try admitted by ``admitUpstream(_:_:of:policy:force:)`` ended.
    package func recordUpstream(_ endpoint: String, _ index: Int, url: String, _ outcome: Outcome, trial: UInt64?) {
        let now = ContinuousClock.now
        let changed = cells.withLockedValue { cells -> String? in
            guard let cell = cells[endpoint] else { return nil }
            // The pool may have changed since the try began: the upstream is found by its URL.
            let upstream =
                index < cell.upstreams.count && cell.upstreams[index].url == url
                ? cell.upstreams[index] : cell.upstreams.first { $0.url == url }
            guard let upstream else { return nil }
            upstream.inFlight = max(0, upstream.inFlight - 1)
            if outcome == .failure {
                upstream.errors += 1
                upstream.lastFailure = Date()
            }
            let transition = upstream.machine.record(outcome, trial: trial, now: now)
            if transition != nil { upstream.noteTransition() }
            return transition.map { _ in upstream.machine.stateName }
        }
        if let changed { transitioned("\(endpoint) (upstream \(url))", changed) }
    }

    /// The state of upstream `url`'s breaker of `endpoint` (`closed` when it has none yet).
    package func upstreamState(of endpoint: String, url: String) -> String {
        cells.withLockedValue { cells in
            cells[endpoint]?.upstreams.first { $0.url == url }?.machine.stateName ?? "closed"
        }
    }
}

extension BreakerRegistry.Cell {
    /// The breaker of upstream `index` of `pool`, after matching the cells to the pool when it
    /// changed (upstreams that stayed keep their state, by URL).
    func upstream(_ index: Int, of pool: [UpstreamConfig], policy: BreakerPolicy) -> UpstreamCell {
        if upstreams.count != pool.count || upstreams[index].url != pool[index].url {
            let previous = upstreams
            upstreams = pool.map { upstream in
                previous.first { $0.url == upstream.url }
                    ?? UpstreamCell(url: upstream.url, machine: BreakerStateMachine(policy: policy))
            }
        }
        let cell = upstreams[index]
        if cell.machine.policy != policy { cell.machine.update(policy: policy) }
        return cell
    }
}

/// One upstream's breaker and counters, changed in place under the registry's lock.
final class UpstreamCell: @unchecked Sendable {
    let url: String
    var machine: BreakerStateMachine<ContinuousClock.Instant>
    var lastFailure: Date?
    var stateChanged = Date()
    var rejected = 0
    var transitions = 0
    var inFlight = 0
    var requests = 0
    var errors = 0

    init(url: String, machine: BreakerStateMachine<ContinuousClock.Instant>) {
        self.url = url
        self.machine = machine
    }

    func tryStarted() {
        inFlight += 1
        requests += 1
    }

    func noteTransition() {
        transitions += 1
        stateChanged = Date()
    }

    var report: UpstreamBreakerReport {
        UpstreamBreakerReport(
            url: url, state: machine.stateName, failureCount: machine.consecutiveFailures,
            lastFailureTime: lastFailure.map(Timestamp.string), stateChangedTime: Timestamp.string(stateChanged),
            rejected: rejected, transitions: transitions, inFlight: inFlight, requests: requests, errors: errors)
    }
}
