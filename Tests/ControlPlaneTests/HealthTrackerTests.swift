import ControlPlane
import Shared
import Testing

@Suite struct HealthTrackerTests {
    let policy = HealthCheckPolicy(enabled: true, interval: 1, timeout: 1, unhealthyThreshold: 3, healthyThreshold: 2)

    @Test func firstFailureDoesNotFlipUnlessTheThresholdIsOne() {
        var tracker = HealthTracker()
        #expect(tracker.record(success: false, policy: policy) == nil)
        #expect(tracker.health == .unknown)
        #expect(tracker.record(success: false, policy: policy) == nil)
        #expect(tracker.record(success: false, policy: policy) == .unhealthy)
        #expect(tracker.record(success: false, policy: policy) == nil)

        var eager = HealthTracker()
        var one = policy
        one.unhealthyThreshold = 1
        #expect(eager.record(success: false, policy: one) == .unhealthy)
    }

    @Test func recoveryNeedsHealthyThresholdGoodProbesInARow() {
        var tracker = HealthTracker()
        for _ in 0..<3 { _ = tracker.record(success: false, policy: policy) }
        #expect(tracker.record(success: true, policy: policy) == nil)
        #expect(tracker.record(success: false, policy: policy) == nil)
        #expect(tracker.record(success: true, policy: policy) == nil)
        #expect(tracker.record(success: true, policy: policy) == .healthy)
        #expect(tracker.consecutiveSuccesses == 2)
        #expect(tracker.consecutiveFailures == 0)
    }
}
