import DataPlane
import Shared
import Testing

/// SplitMix64: a seeded generator, so that every random pick of a test is the same on every run.
private struct SeededRandom: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Every policy of the balancer, with instants made up by the test (no sleeping) and a seeded
/// generator.
@Suite struct UpstreamBalancerTests {
    typealias Balancer = UpstreamBalancer<ContinuousClock.Instant>
    let start = ContinuousClock.now

    func at(_ seconds: Double) -> ContinuousClock.Instant { start.advanced(by: .milliseconds(Int64(seconds * 1000))) }

    /// Picks `times` times at one instant and returns the picks.
    func picks(
        _ balancer: inout Balancer, _ times: Int, avoiding tried: UpstreamIndexSet = [], at seconds: Double = 0,
        seed: UInt64 = 1
    ) -> [Int] {
        var random = SeededRandom(state: seed)
        return (0..<times).map { _ in balancer.pick(avoiding: tried, now: at(seconds), using: &random) }
    }

    /// How many of `picks` went to each of `count` upstreams.
    func tally(_ picks: [Int], count: Int) -> [Int] {
        var counts = Array(repeating: 0, count: count)
        for pick in picks { counts[pick] += 1 }
        return counts
    }

    @Test func smoothRoundRobinGivesNginxSequenceForFiveOneOne() {
        var balancer = Balancer(weights: [5, 1, 1], policy: .roundRobin)
        #expect(picks(&balancer, 7) == [0, 0, 1, 0, 2, 0, 0])
        #expect(picks(&balancer, 7) == [0, 0, 1, 0, 2, 0, 0])
    }

    @Test func equalWeightsAlternateTwentyTwentyOverForty() {
        var balancer = Balancer(weights: [3, 3], policy: .roundRobin)
        let sequence = picks(&balancer, 40)
        #expect(sequence == (0..<40).map { $0 % 2 })
        #expect(tally(sequence, count: 2) == [20, 20])
    }

    @Test func threeToOneOverFourHundredIsExactlyThreeHundredToOneHundred() {
        var balancer = Balancer(weights: [3, 1], policy: .roundRobin)
        #expect(tally(picks(&balancer, 400), count: 2) == [300, 100])
    }

    @Test(arguments: Balancer.Policy.allCases)
    func ineligibleUpstreamIsNeverPicked(policy: Balancer.Policy) {
        var balancer = Balancer(weights: [1, 1, 1], policy: policy)
        balancer.setEligible(1, false, now: at(0))
        #expect(!balancer.isPanicking)
        let counts = tally(picks(&balancer, 300), count: 3)
        #expect(counts[1] == 0)
        #expect(counts[0] > 0 && counts[2] > 0)
    }

    @Test(arguments: Balancer.Policy.allCases)
    func panicModeWithOneOfThreeEligibleSpreadsOverAllThree(policy: Balancer.Policy) {
        var balancer = Balancer(weights: [1, 1, 1], policy: policy)
        balancer.setEligible(0, false, now: at(0))
        balancer.setEligible(2, false, now: at(0))
        #expect(balancer.isPanicking)
        #expect(tally(picks(&balancer, 300), count: 3).allSatisfy { $0 > 50 })
    }

    @Test(arguments: Balancer.Policy.allCases)
    func noneEligibleStillPicksAmongAll(policy: Balancer.Policy) {
        var balancer = Balancer(weights: [1, 1], policy: policy)
        balancer.setEligible(0, false, now: at(0))
        balancer.setEligible(1, false, now: at(0))
        #expect(tally(picks(&balancer, 200), count: 2).allSatisfy { $0 > 50 })
    }

    @Test func leastRequestPicksTheUpstreamWithFewerInFlight() {
        var balancer = Balancer(weights: [1, 1], policy: .leastRequest)
        for _ in 0..<10 { balancer.started(0) }
        #expect(picks(&balancer, 50).allSatisfy { $0 == 1 })
    }

    @Test func leastRequestWeighsInFlightByWeight() {
        var balancer = Balancer(weights: [4, 1], policy: .leastRequest)
        for _ in 0..<3 { balancer.started(0) }
        // (3 + 1) / 4 ties (0 + 1) / 1: the higher weight wins.
        #expect(picks(&balancer, 50).allSatisfy { $0 == 0 })
        balancer.started(0)
        #expect(picks(&balancer, 50).allSatisfy { $0 == 1 })
    }

    @Test func leastRequestSendsMostPicksToTheFastUpstream() {
        var balancer = Balancer(weights: [1, 1], policy: .leastRequest)
        var random = SeededRandom(state: 7)
        var counts = [0, 0]
        for _ in 0..<1000 {
            let pick = balancer.pick(now: at(0), using: &random)
            balancer.started(pick)
            counts[pick] += 1
            // Upstream 1 answers at once; upstream 0 finishes a request one time in ten.
            if balancer.inFlight[1] > 0 { balancer.finished(1) }
            if balancer.inFlight[0] > 0, Int.random(in: 0..<10, using: &random) == 0 { balancer.finished(0) }
        }
        #expect(counts[1] >= 750)
    }

    @Test func randomFollowsTheWeights() {
        var balancer = Balancer(weights: [1, 2, 7], policy: .random)
        let counts = tally(picks(&balancer, 10_000, seed: 42), count: 3)
        for (count, expected) in zip(counts, [1000, 2000, 7000]) {
            #expect(abs(count - expected) < 250)
        }
    }

    @Test(arguments: Balancer.Policy.allCases)
    func retryNeverPicksTheAvoidedUpstreamWhileAnotherIsEligible(policy: Balancer.Policy) {
        var balancer = Balancer(weights: [5, 1, 1], policy: policy)
        #expect(picks(&balancer, 100, avoiding: [0]).allSatisfy { $0 != 0 })
        #expect(picks(&balancer, 100, avoiding: [0, 1]).allSatisfy { $0 == 2 })
    }

    @Test(arguments: Balancer.Policy.allCases)
    func retryPicksTheAvoidedUpstreamWhenItIsTheOnlyOneLeft(policy: Balancer.Policy) {
        var balancer = Balancer(weights: [1, 1], policy: policy)
        balancer.setEligible(1, false, now: at(0))
        #expect(picks(&balancer, 50, avoiding: [0]).allSatisfy { $0 == 0 })
        balancer.setEligible(1, true, now: at(0))
        #expect(Set(picks(&balancer, 50, avoiding: [0, 1])) == [0, 1])
    }

    @Test func slowStartRampsFromTenPercentThroughFiftyFiveToFull() {
        var balancer = Balancer(weights: [1, 1], policy: .roundRobin, slowStart: .seconds(10))
        balancer.setEligible(1, false, now: at(0))
        balancer.setEligible(1, true, now: at(100))
        // Upstream 1 against upstream 0's full weight: 100 to 1000 at first, 550 half way.
        #expect(tally(picks(&balancer, 1100, at: 100), count: 2) == [1000, 100])
        #expect(tally(picks(&balancer, 1550, at: 105), count: 2) == [1000, 550])
        #expect(tally(picks(&balancer, 200, at: 110), count: 2) == [100, 100])
        #expect(tally(picks(&balancer, 200, at: 120), count: 2) == [100, 100])
    }

    @Test func slowStartRampsRandomPicksToo() {
        var balancer = Balancer(weights: [1, 1], policy: .random, slowStart: .seconds(10))
        balancer.setEligible(1, false, now: at(0))
        balancer.setEligible(1, true, now: at(0))
        let counts = tally(picks(&balancer, 11_000, seed: 3), count: 2)
        #expect(abs(counts[1] - 1000) < 150)
    }

    @Test func slowStartIsOffWhenZero() {
        var balancer = Balancer(weights: [1, 1], policy: .roundRobin)
        balancer.setEligible(1, false, now: at(0))
        balancer.setEligible(1, true, now: at(0))
        #expect(tally(picks(&balancer, 200), count: 2) == [100, 100])
    }

    @Test func upstreamsEligibleFromTheStartDoNotRamp() {
        var balancer = Balancer(weights: [1, 1], policy: .roundRobin, slowStart: .seconds(10))
        #expect(tally(picks(&balancer, 200), count: 2) == [100, 100])
    }

    @Test(arguments: Balancer.Policy.allCases)
    func oneUpstreamIsAlwaysIndexZero(policy: Balancer.Policy) {
        var balancer = Balancer(weights: [7], policy: policy)
        #expect(picks(&balancer, 10).allSatisfy { $0 == 0 })
        balancer.setEligible(0, false, now: at(0))
        #expect(picks(&balancer, 10, avoiding: [0]).allSatisfy { $0 == 0 })
    }

    @Test func finishedNeverGoesBelowZero() {
        var balancer = Balancer(weights: [1, 1], policy: .leastRequest)
        balancer.started(1)
        balancer.finished(1)
        balancer.finished(1)
        #expect(balancer.inFlight == [0, 0])
    }

    @Test func carryOverKeepsTheStateOfUpstreamsThatStayed() {
        var old = Balancer(weights: [1, 1, 1], policy: .roundRobin, slowStart: .seconds(10))
        old.started(0)
        old.started(2)
        old.started(2)
        old.setEligible(1, false, now: at(0))
        old.setEligible(0, false, now: at(0))
        old.setEligible(0, true, now: at(0))
        // Old 2 becomes new 0, old 0 new 2, old 1 is dropped; new 1 is a new upstream.
        var new = Balancer(weights: [1, 1, 1], policy: .roundRobin, slowStart: .seconds(10))
        new.carryOver(from: old) { [2: 0, 0: 2][$0] }
        #expect(new.inFlight == [2, 0, 1])
        #expect((0..<3).allSatisfy { new.isEligible($0) })
        // New 2 carries on the slow start old 0 began: a tenth of the others' weight.
        #expect(tally(picks(&new, 2100), count: 3) == [1000, 1000, 100])
    }
}
