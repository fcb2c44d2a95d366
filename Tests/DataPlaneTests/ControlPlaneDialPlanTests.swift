import DataPlane
import Testing

/// Which control plane a replica dials next and how long it waits: the plan alone, with the
/// random fraction given.
@Suite struct ControlPlaneDialPlanTests {
    static func plan(_ count: Int) -> ControlPlaneDialPlan {
        ControlPlaneDialPlan(addressCount: count, initialBackoff: .milliseconds(100), maximumBackoff: .seconds(5))
    }

    @Test func everyEndedAttemptMovesToTheNextAddressInTurn() {
        var plan = Self.plan(3)
        var dialed = [plan.current]
        for outcome in [ControlPlaneDialPlan.Outcome.failed, .conversed, .refused, .failed, .failed] {
            _ = plan.ended(outcome, fraction: 1)
            dialed.append(plan.current)
        }
        #expect(dialed == [0, 1, 2, 0, 1, 2])
    }

    @Test func failuresDoubleTheWaitUpToTheMaximum() {
        var plan = Self.plan(2)
        let waits = (0..<9).map { _ in plan.ended(.failed, fraction: 1) }
        #expect(
            waits == [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000].map { Duration.milliseconds($0) })
    }

    @Test func jitterWaitsBetweenHalfAndAllOfTheBackoff() {
        var low = Self.plan(1)
        var high = Self.plan(1)
        #expect(low.ended(.failed, fraction: 0) == .milliseconds(50))
        #expect(high.ended(.failed, fraction: 1) == .milliseconds(100))
        #expect(low.ended(.failed, fraction: -3) == .milliseconds(100))
        #expect(high.ended(.failed, fraction: 7) == .milliseconds(200))
    }

    @Test func aConversationResetsTheBackoffAndARefusalWaitsTheMaximum() {
        var plan = Self.plan(2)
        for _ in 0..<5 { _ = plan.ended(.failed, fraction: 1) }
        #expect(plan.ended(.conversed, fraction: 1) == .milliseconds(100))
        #expect(plan.ended(.failed, fraction: 1) == .milliseconds(100))
        #expect(plan.ended(.refused, fraction: 1) == .seconds(5))
        // After a refusal, failures go on from the maximum until a conversation.
        #expect(plan.ended(.failed, fraction: 1) == .seconds(5))
        #expect(plan.ended(.conversed, fraction: 1) == .milliseconds(100))
    }
}
