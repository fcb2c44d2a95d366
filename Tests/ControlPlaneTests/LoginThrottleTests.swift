import Testing

@testable import ControlPlane

@Suite struct LoginThrottleTests {
    let start = ContinuousClock.now

    @Test func wrongTokensAreCheckedUntilTheBucketIsEmptyThenRefused() {
        var throttle = LoginThrottle(capacity: 3, refillInterval: .seconds(6), now: start)
        for _ in 0..<3 {
            #expect(throttle.attempt(now: start) == .check)
            throttle.failed(now: start)
        }
        #expect(throttle.attempt(now: start) == .refuse(retryAfter: .seconds(6)))
        #expect(throttle.attempt(now: start + .seconds(2)) == .refuse(retryAfter: .seconds(4)))
    }

    @Test func oneMoreGuessIsAllowedPerRefillInterval() {
        var throttle = LoginThrottle(capacity: 2, refillInterval: .seconds(6), now: start)
        throttle.failed(now: start)
        throttle.failed(now: start)
        #expect(throttle.attempt(now: start + .seconds(6)) == .check)
        throttle.failed(now: start + .seconds(6))
        #expect(throttle.attempt(now: start + .seconds(7)) == .refuse(retryAfter: .seconds(5)))
        // A long quiet spell fills the bucket again, never above its capacity.
        #expect(throttle.attempt(now: start + .seconds(600)) == .check)
        throttle.failed(now: start + .seconds(600))
        throttle.failed(now: start + .seconds(600))
        #expect(throttle.attempt(now: start + .seconds(600)) != .check)
    }

    @Test func attemptsWithoutFailuresNeverUseTheBucketUp() {
        var throttle = LoginThrottle(capacity: 1, refillInterval: .seconds(6), now: start)
        for second in 0..<100 {
            #expect(throttle.attempt(now: start + .seconds(second)) == .check)
        }
    }
}
