import Testing

@testable import ControlPlane

/// The leader lease's rules with made-up instants: when a node counts itself leader, and when it
/// must stop.
@Suite struct LeaseStateMachineTests {
    let start = ContinuousClock.now

    func at(_ seconds: Double) -> ContinuousClock.Instant { start + .milliseconds(Int64(seconds * 1000)) }

    @Test func aGrantedAttemptLeadsUntilTheTTLAfterItWasSent() {
        var machine = LeaseStateMachine(ttl: .seconds(9))
        #expect(machine.renewInterval == .seconds(3))
        #expect(
            machine.answered(holder: "a", epoch: 4, me: "a", sentAt: at(0), now: at(0.2)) == .becameLeader(epoch: 4))
        #expect(machine.role == .leader(epoch: 4) && machine.heldUntil == at(9))
        // Renewals under the same epoch change nothing but the deadline.
        #expect(machine.answered(holder: "a", epoch: 4, me: "a", sentAt: at(3), now: at(3.1)) == .none)
        #expect(machine.heldUntil == at(12))
        #expect(machine.tick(now: at(11.9)) == .none)
        #expect(
            machine.tick(now: at(12))
                == .stoppedLeading(epoch: 4, reason: "the lease could not be renewed in time"))
        #expect(machine.role == .follower)
    }

    @Test func failedAttemptsKeepTheLeadOnlyWhileTheLastGrantHolds() {
        var machine = LeaseStateMachine(ttl: .seconds(9))
        _ = machine.answered(holder: "a", epoch: 1, me: "a", sentAt: at(0), now: at(0))
        #expect(machine.failed(now: at(3)) == .none)
        #expect(machine.failed(now: at(6)) == .none)
        guard case .stoppedLeading = machine.failed(now: at(9)) else {
            Issue.record("still leading after the lease lapsed")
            return
        }
    }

    @Test func anotherHolderMeansFollowingAndALateAnswerGrantsNothing() {
        var machine = LeaseStateMachine(ttl: .seconds(9))
        #expect(machine.answered(holder: "b", epoch: 2, me: "a", sentAt: at(0), now: at(0.1)) == .none)
        #expect(machine.role == .follower && machine.holder == "b")
        // An answer that arrives after the lease it granted would have lapsed is not a lead.
        #expect(machine.answered(holder: "a", epoch: 3, me: "a", sentAt: at(1), now: at(10)) == .none)
        #expect(machine.role == .follower)
        _ = machine.answered(holder: "a", epoch: 3, me: "a", sentAt: at(11), now: at(11))
        #expect(
            machine.answered(holder: "b", epoch: 4, me: "a", sentAt: at(14), now: at(14))
                == .stoppedLeading(epoch: 3, reason: "another node holds the lease"))
    }

    @Test func aNewEpochForTheSameNodeEndsTheOldLead() {
        var machine = LeaseStateMachine(ttl: .seconds(9))
        _ = machine.answered(holder: "a", epoch: 5, me: "a", sentAt: at(0), now: at(0))
        #expect(
            machine.answered(holder: "a", epoch: 6, me: "a", sentAt: at(3), now: at(3))
                == .leadsAgain(previous: 5, epoch: 6))
        #expect(machine.role == .leader(epoch: 6))
    }
}
