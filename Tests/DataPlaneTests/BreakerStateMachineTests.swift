import DataPlane
import Shared
import Testing

/// Every transition of the breaker, with instants made up by the test (no sleeping).
@Suite struct BreakerStateMachineTests {
    typealias Machine = BreakerStateMachine<ContinuousClock.Instant>
    let start = ContinuousClock.now

    func at(_ seconds: Double) -> ContinuousClock.Instant { start.advanced(by: .milliseconds(Int64(seconds * 1000))) }

    func policy(threshold: Int = 3, reset: Double = 10, halfOpen: Int = 2) -> BreakerPolicy {
        var policy = BreakerPolicy.defaults
        policy.failureThreshold = threshold
        policy.resetTimeout = reset
        policy.halfOpenMaxCalls = halfOpen
        return policy
    }

    /// Admits one request and records its outcome.
    @discardableResult
    func call(_ machine: inout Machine, _ outcome: Machine.Outcome, at time: Double) -> Machine.State? {
        guard case .allowed(let trial) = machine.admit(now: at(time)).0 else {
            Issue.record("request at \(time)s was rejected")
            return nil
        }
        return machine.record(outcome, trial: trial, now: at(time))
    }

    @Test func consecutiveFailuresOpenAndSuccessResetsTheCount() {
        var machine = Machine(policy: policy())
        call(&machine, .failure, at: 0)
        call(&machine, .failure, at: 0)
        call(&machine, .success, at: 0)
        #expect(machine.consecutiveFailures == 0)
        call(&machine, .failure, at: 1)
        call(&machine, .failure, at: 1)
        #expect(machine.state == .closed)
        #expect(call(&machine, .failure, at: 2) == .open(since: at(2)))
    }

    @Test func openRejectsWithRetryAfterCountedFromOpening() {
        var machine = Machine(policy: policy(threshold: 1, reset: 10))
        call(&machine, .failure, at: 5)
        let (admission, transition) = machine.admit(now: at(8))
        #expect(admission == .rejected(retryAfter: .seconds(7)))
        #expect(transition == nil)
        // A rejection is not a failure: the reopen time does not move.
        let later = machine.admit(now: at(14.5)).0
        #expect(later == .rejected(retryAfter: .milliseconds(500)))
    }

    @Test func halfOpenAfterResetTimeoutThenClosesWhenAllTrialsSucceed() {
        var machine = Machine(policy: policy(threshold: 1, reset: 10, halfOpen: 2))
        call(&machine, .failure, at: 0)
        let (first, transition) = machine.admit(now: at(10))
        #expect(transition == .halfOpen)
        guard case .allowed(let trial1?) = first else { Issue.record("first trial not admitted"); return }
        guard case .allowed(let trial2?) = machine.admit(now: at(10)).0 else { Issue.record("second trial"); return }
        #expect(machine.admit(now: at(10)).0 == .rejected(retryAfter: .seconds(1)))
        #expect(machine.record(.success, trial: trial1, now: at(11)) == nil)
        #expect(machine.state == .halfOpen)
        #expect(machine.record(.success, trial: trial2, now: at(11)) == .closed)
    }

    @Test func anyFailedTrialReopens() {
        var machine = Machine(policy: policy(threshold: 1, reset: 10, halfOpen: 3))
        call(&machine, .failure, at: 0)
        #expect(call(&machine, .success, at: 10) == nil)
        #expect(call(&machine, .failure, at: 11) == .open(since: at(11)))
        #expect(machine.admit(now: at(20)).0 == .rejected(retryAfter: .seconds(1)))
        #expect(machine.admit(now: at(21)).1 == .halfOpen)
    }

    @Test func twoConcurrentTrialsWithHalfOpenMaxCallsOne() {
        var machine = Machine(policy: policy(threshold: 1, reset: 1, halfOpen: 1))
        call(&machine, .failure, at: 0)
        let first = machine.admit(now: at(1)).0
        let second = machine.admit(now: at(1)).0
        guard case .allowed(let trial?) = first else { Issue.record("first trial not admitted"); return }
        #expect(second == .rejected(retryAfter: .seconds(1)))
        #expect(machine.record(.success, trial: trial, now: at(1.2)) == .closed)
        #expect(machine.admit(now: at(1.3)).0 == .allowed(trial: nil))
    }

    @Test func ignoredTrialFreesItsSlotWithoutDeciding() {
        var machine = Machine(policy: policy(threshold: 1, reset: 1, halfOpen: 1))
        call(&machine, .failure, at: 0)
        guard case .allowed(let trial?) = machine.admit(now: at(1)).0 else { Issue.record("no trial"); return }
        #expect(machine.record(.ignored, trial: trial, now: at(1)) == nil)
        #expect(machine.state == .halfOpen)
        guard case .allowed = machine.admit(now: at(1)).0 else { Issue.record("slot not freed"); return }
    }

    @Test func lateTrialOfAnEarlierPhaseDecidesNothing() {
        var machine = Machine(policy: policy(threshold: 1, reset: 1, halfOpen: 2))
        call(&machine, .failure, at: 0)
        guard case .allowed(let old?) = machine.admit(now: at(1)).0 else { Issue.record("no trial"); return }
        call(&machine, .failure, at: 1)  // reopens
        _ = machine.admit(now: at(2))  // next half-open phase
        #expect(machine.record(.success, trial: old, now: at(2)) == nil)
        #expect(machine.trialSuccesses == 0)
    }

    @Test func failureRateModeNeedsMinimumCalls() {
        var rate = policy()
        rate.failureRateThreshold = 0.5
        rate.window = 4
        rate.minimumCalls = 4
        var machine = Machine(policy: rate)
        call(&machine, .failure, at: 0)
        call(&machine, .failure, at: 0)
        call(&machine, .failure, at: 0)
        #expect(machine.state == .closed)  // 3 calls < minimum 4, though the consecutive rule would open
        #expect(call(&machine, .success, at: 0) == .open(since: at(0)))  // 3/4 failed
    }

    @Test func failureRateWindowSlides() {
        var rate = policy()
        rate.failureRateThreshold = 0.75
        rate.window = 4
        rate.minimumCalls = 2
        var machine = Machine(policy: rate)
        for outcome in [Machine.Outcome.failure, .success, .success, .success, .failure, .failure] {
            call(&machine, outcome, at: 0)
        }
        #expect(machine.state == .closed)  // window: success, success, failure, failure = 50%
        #expect(call(&machine, .failure, at: 0) == .open(since: at(0)))  // success, failure x3 = 75%
    }

    @Test func resetClosesFromAnyState() {
        var machine = Machine(policy: policy(threshold: 1))
        call(&machine, .failure, at: 0)
        #expect(machine.reset() == .closed)
        #expect(machine.admit(now: at(0)).0 == .allowed(trial: nil))
        #expect(machine.reset() == nil)
    }
}
