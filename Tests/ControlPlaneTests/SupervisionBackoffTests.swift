import Testing

@testable import ControlPlane

@Suite struct SupervisionBackoffTests {
    let start = ContinuousClock.Instant.now

    @Test func doublesFromTheInitialDelayUpToTheMaximum() {
        var backoff = RestartBackoff<ContinuousClock.Instant>()
        var now = start
        var delays: [Duration] = []
        for _ in 0..<10 {
            backoff.started(at: now)
            now += .seconds(1)  // dies after a second, well under the reset time
            let delay = backoff.exited(at: now)
            delays.append(delay)
            now += delay
        }
        #expect(
            delays == [
                .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .milliseconds(1600),
                .milliseconds(3200), .milliseconds(6400), .seconds(10), .seconds(10), .seconds(10),
            ])
    }

    @Test func aReplicaThatRanLongEnoughStartsOverAtTheInitialDelay() {
        var backoff = RestartBackoff<ContinuousClock.Instant>()
        var now = start
        for _ in 0..<5 {
            backoff.started(at: now)
            now += .milliseconds(10)
            now += backoff.exited(at: now)
        }
        backoff.started(at: now)
        now += .seconds(30)
        #expect(backoff.exited(at: now) == .milliseconds(100))
        backoff.started(at: now)
        now += .seconds(1)
        #expect(backoff.exited(at: now) == .milliseconds(200))
    }

    @Test func justUnderTheResetTimeKeepsBackingOff() {
        var backoff = RestartBackoff<ContinuousClock.Instant>(
            initial: .milliseconds(50), maximum: .seconds(1), resetAfter: .seconds(30))
        var now = start
        backoff.started(at: now)
        now += .seconds(1)
        #expect(backoff.exited(at: now) == .milliseconds(50))
        backoff.started(at: now)
        now += .seconds(29) + .milliseconds(999)
        #expect(backoff.exited(at: now) == .milliseconds(100))
    }

    @Test func aFailedStartWithoutAStartTimeStillBacksOff() {
        var backoff = RestartBackoff<ContinuousClock.Instant>()
        #expect(backoff.exited(at: start) == .milliseconds(100))
        #expect(backoff.exited(at: start) == .milliseconds(200))
    }
}
