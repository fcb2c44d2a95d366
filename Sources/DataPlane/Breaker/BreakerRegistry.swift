import Foundation
import NIOConcurrencyHelpers
import Shared
import Synchronization

/// The circuit breakers of one replica, one per endpoint, shared by all its event loops (state
/// lives where the traffic is, and a replica is one place). Each call takes the lock for a few
/// field updates; the upstream call itself runs outside it.
package final class BreakerRegistry: Sendable {
    /// One endpoint's breaker. An object, changed in place under the lock: a request costs one
    /// lookup, not a copy out and a write back.
    final class Cell: @unchecked Sendable {
        let name: String
        /// Set when the registry drops the cell, so a slot still holding it is not used.
        var forgotten = false
        var machine: BreakerStateMachine<ContinuousClock.Instant>
        var lastFailure: Date?
        var lastSuccess: Date?
        var stateChanged = Date()
        var rejected = 0
        var transitions = 0
        /// A pool's breakers per upstream, in the pool's order; empty for one upstream.
        var upstreams: [UpstreamCell] = []

        init(name: String, machine: BreakerStateMachine<ContinuousClock.Instant>) {
            self.name = name
            self.machine = machine
        }
    }

    let cells = NIOLockedValueBox(BreakerCells())
    /// Operator resets so far: each loop's balancers compare it to bring back the upstreams
    /// their breakers took out (one atomic load per pick of a pool).
    private let resets = Atomic<Int>(0)
    /// Set by every state change until the reporter takes it.
    private let changed = NIOLockedValueBox(false)
    /// Called (outside the lock) after every state change, so the replica can report at once.
    private let onTransition: @Sendable (String, String) -> Void

    package init(onTransition: @escaping @Sendable (String, String) -> Void = { _, _ in }) {
        self.onTransition = onTransition
    }

    /// Whether a request to `endpoint` (at route slot `slot`, when known) may go upstream now.
    package func admit(_ endpoint: String, slot: Int? = nil, policy: BreakerPolicy)
        -> BreakerStateMachine<ContinuousClock.Instant>.Admission
    {
        var cell: Cell?
        return admit(endpoint, slot: slot, policy: policy, cell: &cell)
    }

    /// ``admit(_:slot:policy:)`` with the endpoint's cell as the caller last saw it (`nil` at
    /// first), used when it still is the endpoint's and updated otherwise: a request then
    /// reaches its breaker without a lookup. The caller keeps the cell with the policy it
    /// passed (a newer policy comes with a newer route, and a new state without a cell), so a
    /// kept cell has that policy already: `policy` is read only when the cell is looked up.
    func admit(
        _ endpoint: String, slot: Int?, policy: @autoclosure () -> BreakerPolicy, cell known: inout Cell?
    ) -> BreakerStateMachine<ContinuousClock.Instant>.Admission {
        let now = ContinuousClock.now
        let (admission, changed) = cells.withLockedValue {
            cells -> (BreakerStateMachine<ContinuousClock.Instant>.Admission, String?) in
            let cell: Cell
            if let current = Self.current(known, of: endpoint) {
                cell = current
            } else if let existing = cells.cell(endpoint, slot: slot) {
                cell = existing
                let policy = policy()
                if cell.machine.policy != policy { cell.machine.update(policy: policy) }
            } else {
                cell = Cell(name: endpoint, machine: BreakerStateMachine(policy: policy()))
                cells.add(cell, slot: slot)
            }
            known = cell
            let (admission, transition) = cell.machine.admit(now: now)
            if case .rejected = admission { cell.rejected += 1 }
            if transition != nil { Self.noteTransition(cell) }
            return (admission, transition.map { _ in cell.machine.stateName })
        }
        if let changed { transitioned(endpoint, changed) }
        return admission
    }

    /// Records how an admitted request to `endpoint` (at route slot `slot`, when known) ended.
    package func record(
        _ endpoint: String, slot: Int? = nil, _ outcome: BreakerStateMachine<ContinuousClock.Instant>.Outcome,
        trial: UInt64?
    ) {
        var cell: Cell?
        record(endpoint, slot: slot, outcome, trial: trial, cell: &cell)
    }

    /// ``record(_:slot:_:trial:)`` with the endpoint's cell as the caller last saw it, as
    /// ``admit(_:slot:policy:cell:)`` takes it.
    func record(
        _ endpoint: String, slot: Int?, _ outcome: BreakerStateMachine<ContinuousClock.Instant>.Outcome,
        trial: UInt64?, cell known: inout Cell?
    ) {
        let now = ContinuousClock.now
        let changed = cells.withLockedValue { cells -> String? in
            guard let cell = Self.current(known, of: endpoint) ?? cells.cell(endpoint, slot: slot) else { return nil }
            known = cell
            switch outcome {
            case .success: cell.lastSuccess = Date()
            case .failure: cell.lastFailure = Date()
            case .ignored: break
            }
            let transition = cell.machine.record(outcome, trial: trial, now: now)
            if transition != nil { Self.noteTransition(cell) }
            return transition.map { _ in cell.machine.stateName }
        }
        if let changed { transitioned(endpoint, changed) }
    }

    /// `cell` when it is still `endpoint`'s breaker (call under the lock: the registry sets
    /// ``Cell/forgotten`` under it).
    private static func current(_ cell: Cell?, of endpoint: String) -> Cell? {
        guard let cell, !cell.forgotten, cell.name == endpoint else { return nil }
        return cell
    }

    /// Closes the breaker of `endpoint`, or of every endpoint when `nil` (operator reset).
    package func reset(_ endpoint: String?) {
        let changed = cells.withLockedValue { cells -> [String] in
            var changed: [String] = []
            for name in cells.keys where endpoint == nil || name == endpoint {
                guard let cell = cells[name] else { continue }
                if cell.machine.reset() != nil {
                    Self.noteTransition(cell)
                    changed.append(name)
                }
                for upstream in cell.upstreams where upstream.machine.reset() != nil {
                    upstream.noteTransition()
                    changed.append(name)
                }
            }
            return changed
        }
        resets.add(1, ordering: .releasing)
        for name in changed { transitioned(name, "closed") }
    }

    /// The number of operator resets so far.
    package var resetCount: Int { resets.load(ordering: .acquiring) }

    /// Forgets the breakers of endpoints that are no longer in the snapshot.
    package func retain(only endpoints: Set<String>) {
        cells.withLockedValue { cells in
            for name in cells.keys where !endpoints.contains(name) { cells[name] = nil }
        }
    }

    /// Drops the breakers of `endpoints` (removed from the snapshot).
    package func forget(_ endpoints: some Sequence<String>) {
        cells.withLockedValue { cells in
            for name in endpoints { cells[name] = nil }
        }
    }

    /// The current state of `endpoint`'s breaker (`closed` when it has none yet).
    package func state(of endpoint: String) -> String {
        cells.withLockedValue { $0[endpoint]?.machine.stateName ?? "closed" }
    }

    /// Every breaker, for the periodic report.
    package func reports() -> [BreakerReport] {
        cells.withLockedValue { cells in
            cells.keys.sorted().map { name in
                let cell = cells[name]!
                let policy = cell.machine.policy
                return BreakerReport(
                    endpoint: name, state: cell.machine.stateName, failureCount: cell.machine.consecutiveFailures,
                    lastFailureTime: cell.lastFailure.map(Timestamp.string),
                    lastSuccessTime: cell.lastSuccess.map(Timestamp.string),
                    stateChangedTime: Timestamp.string(cell.stateChanged), halfOpenCalls: cell.machine.trialsInFlight,
                    rejected: cell.rejected, transitions: cell.transitions, failureThreshold: policy.failureThreshold,
                    resetTimeout: policy.resetTimeout, halfOpenMaxCalls: policy.halfOpenMaxCalls,
                    upstreams: cell.upstreams.isEmpty ? nil : cell.upstreams.map(\.report))
            }
        }
    }

    /// Whether a breaker changed state since the last call (so a report should go out now).
    package func takeChanged() -> Bool {
        changed.withLockedValue { value in
            defer { value = false }
            return value
        }
    }

    func transitioned(_ endpoint: String, _ state: String) {
        changed.withLockedValue { $0 = true }
        onTransition(endpoint, state)
    }

    private static func noteTransition(_ cell: Cell) {
        cell.transitions += 1
        cell.stateChanged = Date()
    }
}
