import DataPlane
import Testing

/// The GCRA rate limiter, with instants made up by the test (no sleeping).
@Suite struct RateLimiterTests {
    /// Nanoseconds of `milliseconds` after the start.
    func ms(_ milliseconds: Int64) -> Int64 { milliseconds * 1_000_000 }

    /// Admits `count` requests of `key`, all at `now`.
    func admit(_ count: Int, _ limiter: inout RateLimiter<String>, key: String = "a", at now: Int64)
        -> [RateLimitDecision]
    {
        (0..<count).map { _ in limiter.admit(key: key, now: now) }
    }

    @Test func burstAtOneInstantAdmitsExactlyBurstThenOnePerInterval() {
        var limiter = RateLimiter<String>(rate: 5, burst: 5)
        let first = admit(20, &limiter, at: 0)
        #expect(first.filter(\.allowed).count == 5)
        #expect(first.prefix(5).allSatisfy { $0.allowed })
        #expect(first.prefix(5).map(\.remaining) == [4, 3, 2, 1, 0])
        #expect(first[5].retryAfterSeconds == 1)
        #expect(first[5].remaining == 0)

        let later = admit(10, &limiter, at: ms(200))
        #expect(later.map(\.allowed) == [true] + Array(repeating: false, count: 9))
        // One second after that request the bucket is full again.
        #expect(admit(20, &limiter, at: ms(1200)).filter(\.allowed).count == 5)

        // Without the request at 200 ms, the bucket is full one second after the start.
        #expect(admit(20, &limiter, key: "b", at: 0).filter(\.allowed).count == 5)
        #expect(admit(20, &limiter, key: "b", at: ms(1000)).filter(\.allowed).count == 5)
    }

    @Test func resetCountsDownToAFullBucket() {
        var limiter = RateLimiter<String>(rate: 1, burst: 5)
        let drained = admit(5, &limiter, at: 0)
        #expect(drained.map(\.resetSeconds) == [1, 2, 3, 4, 5])
        #expect(drained.map(\.remaining) == [4, 3, 2, 1, 0])
        // Refused: full again in 4.5 s, the next request fits in 0.5 s.
        let refused = limiter.admit(key: "a", now: ms(500))
        #expect(refused == .init(allowed: false, limit: 5, remaining: 0, resetSeconds: 5, retryAfterSeconds: 1))
        // At 2.5 s the bucket has 2.5 requests back; this one leaves 1.5 (floor 1), full in 3.5 s.
        let partial = limiter.admit(key: "a", now: ms(2500))
        #expect(partial == .init(allowed: true, limit: 5, remaining: 1, resetSeconds: 4, retryAfterSeconds: nil))
        // Long after, a full bucket less this request.
        let rested = limiter.admit(key: "a", now: ms(20_000))
        #expect(rested == .init(allowed: true, limit: 5, remaining: 4, resetSeconds: 1, retryAfterSeconds: nil))
    }

    @Test func twiceTheRateForTenSecondsAdmitsAboutTheSustainedRatePlusBurst() {
        var limiter = RateLimiter<String>(rate: 5, burst: 5)
        let allowed = (0..<100).filter { limiter.admit(key: "a", now: ms(Int64($0) * 100)).allowed }.count
        let expected = 5 * 10 + 5
        #expect(abs(allowed - expected) * 10 <= expected, "allowed \(allowed)")
    }

    @Test func separateKeysHaveSeparateBuckets() {
        var limiter = RateLimiter<String>(rate: 1, burst: 1)
        #expect(limiter.admit(key: "a", now: 0).allowed)
        #expect(!limiter.admit(key: "a", now: 0).allowed)
        #expect(limiter.admit(key: "b", now: 0).allowed)
        #expect(!limiter.admit(key: "b", now: 0).allowed)
    }

    @Test func evictionAtCapacityDropsTheLeastRecentlyUsedKey() {
        // No refill to speak of: a kept key stays drained, an evicted one comes back full.
        var limiter = RateLimiter<String>(rate: 0.001, burst: 1, capacity: 3)
        for key in ["a", "b", "c"] { #expect(limiter.admit(key: key, now: 0).allowed) }
        #expect(!limiter.admit(key: "a", now: ms(1)).allowed)  // "a" is now the most recent
        #expect(limiter.admit(key: "d", now: ms(2)).allowed)
        #expect(limiter.count == 3)
        #expect(!limiter.contains("b"))
        #expect(limiter.contains("a") && limiter.contains("c") && limiter.contains("d"))
        #expect(!limiter.admit(key: "a", now: ms(3)).allowed)
        #expect(limiter.admit(key: "b", now: ms(4)).allowed)  // evicted: a full bucket again
        #expect(!limiter.contains("c"))  // "c" was the least recent when "b" came back
    }

    @Test func keyCountNeverExceedsCapacity() {
        var limiter = RateLimiter<Int>(rate: 1, burst: 1, capacity: 100)
        for key in 0..<10_000 {
            _ = limiter.admit(key: key, now: Int64(key))
            #expect(limiter.count == min(key + 1, 100))
        }
        #expect((9_900..<10_000).allSatisfy { limiter.contains($0) })
        #expect(!limiter.contains(9_899))
    }

    @Test func capacityOfOneKeepsOnlyTheLastKey() {
        var limiter = RateLimiter<String>(rate: 1, burst: 1, capacity: 1)
        #expect(limiter.admit(key: "a", now: 0).allowed)
        #expect(limiter.admit(key: "b", now: 0).allowed)
        #expect(!limiter.admit(key: "b", now: 0).allowed)
        #expect(limiter.count == 1 && limiter.contains("b"))
    }

    @Test func fractionalRateAdmitsOneRequestEveryTwoSeconds() {
        var limiter = RateLimiter<String>(rate: 0.5, burst: 1)
        #expect(limiter.admit(key: "a", now: 0).allowed)
        let early = limiter.admit(key: "a", now: ms(500))
        #expect(early == .init(allowed: false, limit: 1, remaining: 0, resetSeconds: 2, retryAfterSeconds: 2))
        #expect(limiter.admit(key: "a", now: ms(1900)).retryAfterSeconds == 1)
        #expect(limiter.admit(key: "a", now: ms(2000)).allowed)
        #expect(!limiter.admit(key: "a", now: ms(3999)).allowed)
        #expect(limiter.admit(key: "a", now: ms(4000)).allowed)
    }

    @Test func extremeRatesAndBurstsDoNotOverflow() {
        var fast = RateLimiter<String>(rate: 1_000_000, burst: 1_000_000)
        #expect(
            fast.admit(key: "a", now: 0)
                == .init(allowed: true, limit: 1_000_000, remaining: 999_999, resetSeconds: 1, retryAfterSeconds: nil))
        #expect((1..<1_000_000).allSatisfy { _ in fast.admit(key: "a", now: 0).allowed })
        #expect(fast.admit(key: "a", now: 0).retryAfterSeconds == 1)

        // One request every 1000 s, a million at once: a bucket 31.7 years deep.
        var slow = RateLimiter<String>(rate: 0.001, burst: 1_000_000)
        #expect(slow.admit(key: "a", now: 0).resetSeconds == 1000)
        // At the end of time the state saturates rather than traps.
        #expect(slow.admit(key: "a", now: .max - 1).allowed)
        #expect(slow.admit(key: "a", now: .max).allowed)
        #expect(slow.admit(key: "b", now: .min).allowed)

        // Out of the validated range: still no trap.
        for rate: Double in [0, -1, .nan, .infinity, 1e300, 1e-300] {
            for burst: Int in [0, -5, 1, .max] {
                var limiter = RateLimiter<String>(rate: rate, burst: burst)
                _ = admit(3, &limiter, at: 0)
                _ = limiter.admit(key: "a", now: .max)
                limiter.update(rate: 1, burst: 1, now: .min)
            }
        }
    }

    @Test func updateTakesEffectAndKeepsTheRequestsUsed() {
        var limiter = RateLimiter<String>(rate: 1, burst: 2)
        #expect(admit(3, &limiter, at: 0).map(\.allowed) == [true, true, false])
        // Raised: two of five used, refilled at 10/s.
        limiter.update(rate: 10, burst: 5, now: 0)
        #expect(limiter.rate == 10 && limiter.burst == 5)
        let raised = admit(4, &limiter, at: 0)
        #expect(raised.map(\.allowed) == [true, true, true, false])
        #expect(raised[0].limit == 5 && raised[0].remaining == 2)
        #expect(admit(2, &limiter, at: ms(100)).map(\.allowed) == [true, false])
        // Lowered: five used of one, so empty until one request's worth is back.
        limiter.update(rate: 1, burst: 1, now: ms(100))
        #expect(limiter.admit(key: "a", now: ms(100)).retryAfterSeconds == 1)
        #expect(!limiter.admit(key: "a", now: ms(1099)).allowed)
        #expect(limiter.admit(key: "a", now: ms(1100)).allowed)
    }

    @Test func headersCarryTheDecisionAndRetryAfterOnlyWhenRefused() {
        let allowed = RateLimitDecision(allowed: true, limit: 5, remaining: 3, resetSeconds: 1, retryAfterSeconds: nil)
        let expectedAllowed = [("ratelimit-limit", "5"), ("ratelimit-remaining", "3"), ("ratelimit-reset", "1")]
        #expect(allowed.headers().map { [$0.0, $0.1] } == expectedAllowed.map { [$0.0, $0.1] })
        let refused = RateLimitDecision(allowed: false, limit: 5, remaining: 0, resetSeconds: 2, retryAfterSeconds: 1)
        let expectedRefused = [
            ("ratelimit-limit", "5"), ("ratelimit-remaining", "0"), ("ratelimit-reset", "2"), ("retry-after", "1"),
        ]
        #expect(refused.headers().map { [$0.0, $0.1] } == expectedRefused.map { [$0.0, $0.1] })
    }
}
