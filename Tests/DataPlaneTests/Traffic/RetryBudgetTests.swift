import DataPlane
import Testing

/// The retry budget, with instants made up by the test (no sleeping).
@Suite struct RetryBudgetTests {
    func budget(percent: Int = 20, minPerSecond: Int = 3, inFlight: Int = 0) -> RetryBudget {
        var budget = RetryBudget(budgetPercent: percent, minPerSecond: minPerSecond)
        for _ in 0..<inFlight { budget.requestStarted() }
        return budget
    }

    /// Asks for one retry at each of `milliseconds` (after the start), in order; the answers.
    func retries(_ budget: inout RetryBudget, at milliseconds: [Int64]) -> [Bool] {
        milliseconds.map { budget.mayRetry(now: $0 * 1_000_000) }
    }

    /// Asks for `count` retries at `milliseconds`; the answers.
    func retries(_ count: Int, _ budget: inout RetryBudget, at milliseconds: Int64 = 0) -> [Bool] {
        retries(&budget, at: Array(repeating: milliseconds, count: count))
    }

    @Test func defaultsAreTwentyPercentAndThreePerSecond() {
        let budget = RetryBudget()
        #expect(budget.budgetPercent == 20 && budget.minPerSecond == 3)
    }

    @Test func twentyPercentOfAHundredInFlightAllowsTwentyConcurrentRetries() {
        var budget = budget(percent: 20, minPerSecond: 3, inFlight: 100)
        let answers = retries(21, &budget)
        // The twenty used up the per-second allowance too, so the 21st is refused.
        #expect(answers == Array(repeating: true, count: 20) + [false])
        #expect(budget.retriesInFlight == 20)
        #expect(budget.exhausted == 1)
    }

    @Test func shareRoundsDown() {
        var budget = budget(percent: 20, minPerSecond: 0, inFlight: 9)
        #expect(budget.shareAllowance == 1)
        let answers = retries(2, &budget)
        #expect(answers == [true, false])
    }

    @Test func minPerSecondAllowsThreeRetriesPerSecondWithNothingInFlight() {
        var budget = budget(percent: 20, minPerSecond: 3)
        let firstSecond = retries(&budget, at: [0, 300, 600, 999])
        #expect(firstSecond == [true, true, true, false])
        // A new second: three more, though the first three are still in flight.
        let nextSecond = retries(&budget, at: [1000, 1000, 1500, 1999])
        #expect(nextSecond == [true, true, true, false])
        #expect(budget.retriesInFlight == 6)
    }

    @Test func exhaustedCountsEveryRefusal() {
        var budget = budget(percent: 20, minPerSecond: 1)
        let answers = retries(&budget, at: [0, 10, 20, 30, 40, 50])
        #expect(answers == [true] + Array(repeating: false, count: 5))
        #expect(budget.exhausted == 5)
        let nextSecond = retries(&budget, at: [1000])
        #expect(nextSecond == [true])
        #expect(budget.exhausted == 5)
    }

    @Test func retryFinishedFreesASlot() {
        var budget = budget(percent: 20, minPerSecond: 0, inFlight: 10)
        let answers = retries(3, &budget)
        #expect(answers == [true, true, false])
        budget.retryFinished()
        #expect(budget.retriesInFlight == 1)
        let again = retries(2, &budget)
        #expect(again == [true, false])
    }

    @Test func requestsFinishingShrinkTheShare() {
        var budget = budget(percent: 50, minPerSecond: 0, inFlight: 4)
        let first = retries(1, &budget)
        #expect(first == [true])
        for _ in 0..<3 { budget.requestFinished() }
        #expect(budget.shareAllowance == 0)
        let afterwards = retries(1, &budget)
        #expect(afterwards == [false])
        // Finishing more than started never goes below zero.
        for _ in 0..<3 { budget.requestFinished() }
        #expect(budget.requestsInFlight == 0)
    }

    @Test func updateTakesEffectAndKeepsWhatIsInFlight() {
        var budget = budget(percent: 20, minPerSecond: 0, inFlight: 10)
        let before = retries(3, &budget)
        #expect(before == [true, true, false])
        budget.update(budgetPercent: 50, minPerSecond: 0)
        #expect(budget.retriesInFlight == 2 && budget.requestsInFlight == 10)
        let raised = retries(4, &budget)
        #expect(raised == [true, true, true, false])
        budget.update(budgetPercent: 0, minPerSecond: 2)
        let perSecond = retries(3, &budget, at: 2000)
        #expect(perSecond == [true, true, false])
    }
}
