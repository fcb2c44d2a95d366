import DataPlane
import NIOCore
import NIOHTTP1
import Shared
import Testing

/// One loop's state of an endpoint's pool: upstreams that refuse connections leave the rotation
/// for a time that doubles, and a new configuration keeps what it can. Time given by hand.
@Suite struct EndpointBalancerTests {
    let start = ContinuousClock.now

    func at(_ seconds: Double) -> ContinuousClock.Instant { start.advanced(by: .milliseconds(Int64(seconds * 1000))) }

    static func upstreams(_ urls: [String], retry: RetryPolicy? = nil, slowStart: Double? = nil) -> EndpointUpstreams {
        EndpointUpstreams(
            EndpointConfig(
                name: "svc", url: urls[0], upstreams: urls.map { UpstreamConfig(url: $0) }, retry: retry,
                slowStart: slowStart))
    }

    func picks(
        _ balancer: EndpointBalancer, _ count: Int, at time: Double,
        health: UpstreamHealthBoard = UpstreamHealthBoard(),
        breakerResets: Int = 0
    ) -> [Int] {
        var random = FastRandom()
        return (0..<count).map { _ in
            let index = balancer.pick(
                avoiding: [], now: at(time), health: health, breakerResets: breakerResets, random: &random)
            balancer.finished(index)
            return index
        }
    }

    @Test func aRefusingUpstreamLeavesTheRotationForOneSecondThenTwo() {
        let balancer = EndpointBalancer(upstreams: Self.upstreams(["http://a/", "http://b/"]), previous: nil)
        balancer.refused(0, now: at(0))
        #expect(picks(balancer, 10, at: 0.5) == Array(repeating: 1, count: 10))
        #expect(picks(balancer, 10, at: 1.1).contains(0))
        balancer.refused(0, now: at(1.2))
        #expect(!picks(balancer, 10, at: 3.1).contains(0))
        #expect(picks(balancer, 10, at: 3.3).contains(0))
    }

    @Test func anUpstreamTheProbesFoundUnhealthyLeavesTheRotationAndComesBackWithSlowStart() {
        let balancer = EndpointBalancer(
            upstreams: Self.upstreams(["http://a/", "http://b/"], slowStart: 10), previous: nil)
        let health = UpstreamHealthBoard()
        health.replace(["svc": ["http://a/"], "other": ["http://b/"]])
        #expect(picks(balancer, 20, at: 0, health: health) == Array(repeating: 1, count: 20))
        health.replace([:])
        // Back at a tenth of its weight: about 1 in 11 picks at first, half of them once ramped.
        let early = picks(balancer, 110, at: 1, health: health).filter { $0 == 0 }.count
        let ramped = picks(balancer, 100, at: 20, health: health).filter { $0 == 0 }.count
        #expect((5...25).contains(early), "\(early)")
        #expect(ramped == 50)
    }

    @Test func whenFewerThanHalfAreHealthyEveryUpstreamTakesTraffic() {
        let balancer = EndpointBalancer(
            upstreams: Self.upstreams(["http://a/", "http://b/", "http://c/"]), previous: nil)
        let health = UpstreamHealthBoard()
        health.replace(["svc": ["http://a/", "http://b/"]])
        #expect(Set(picks(balancer, 30, at: 0, health: health)) == [0, 1, 2])
        health.replace(["svc": ["http://a/"]])
        #expect(Set(picks(balancer, 30, at: 0, health: health)) == [1, 2])
    }

    @Test func anUpstreamStaysOutWhileUnhealthyAfterItsRefusalTimeOutEnds() {
        let balancer = EndpointBalancer(upstreams: Self.upstreams(["http://a/", "http://b/"]), previous: nil)
        let health = UpstreamHealthBoard()
        balancer.refused(0, now: at(0))
        health.replace(["svc": ["http://a/"]])
        #expect(!picks(balancer, 10, at: 5, health: health).contains(0))
        health.replace([:])
        #expect(picks(balancer, 10, at: 5, health: health).contains(0))
    }

    @Test func anUpstreamItsBreakerRefusedStaysOutUntilItMayAdmitOrTheBreakersAreReset() {
        let balancer = EndpointBalancer(upstreams: Self.upstreams(["http://a/", "http://b/"]), previous: nil)
        balancer.breakerRejected(0, retryAfter: .seconds(60), now: at(0))
        #expect(!picks(balancer, 10, at: 30).contains(0))
        #expect(picks(balancer, 10, at: 30, breakerResets: 1).contains(0))
        balancer.breakerRejected(1, retryAfter: .seconds(60), now: at(31))
        #expect(!picks(balancer, 10, at: 61, breakerResets: 1).contains(1))
        #expect(picks(balancer, 10, at: 92, breakerResets: 1).contains(1))
    }

    @Test func aBreakerResetDoesNotBringBackAnUpstreamThatRefusesConnections() {
        let balancer = EndpointBalancer(upstreams: Self.upstreams(["http://a/", "http://b/"]), previous: nil)
        balancer.refused(0, now: at(0))
        balancer.refused(0, now: at(0))
        balancer.breakerRejected(0, retryAfter: .seconds(1), now: at(0))
        #expect(!picks(balancer, 10, at: 1.5, breakerResets: 1).contains(0))
    }

    @Test func anAcceptedConnectionResetsTheTimeOut() {
        let balancer = EndpointBalancer(upstreams: Self.upstreams(["http://a/", "http://b/"]), previous: nil)
        balancer.refused(0, now: at(0))
        balancer.connected(0)
        balancer.refused(0, now: at(2))
        #expect(picks(balancer, 10, at: 3.1).contains(0))
    }

    @Test func aNewConfigurationKeepsTheTimeOutOfAnUpstreamThatStayed() {
        let first = EndpointBalancer(upstreams: Self.upstreams(["http://a/", "http://b/"]), previous: nil)
        first.refused(0, now: at(0))
        let second = EndpointBalancer(
            upstreams: Self.upstreams(["http://c/", "http://a/", "http://b/"]), previous: first)
        #expect(!picks(second, 12, at: 0.5).contains(1))
        #expect(picks(second, 12, at: 1.5).contains(1))
    }

    @Test func theRetryBudgetAllowsMinPerSecondWithNothingInFlight() {
        let balancer = EndpointBalancer(
            upstreams: Self.upstreams(["http://a/", "http://b/"], retry: RetryPolicy(attempts: 1, minPerSecond: 2)),
            previous: nil)
        let now = NIODeadline.uptimeNanoseconds(5_000_000_000)
        #expect(balancer.mayRetry(now: now))
        #expect(balancer.mayRetry(now: now))
        #expect(!balancer.mayRetry(now: now))
        #expect(balancer.retriesRefused == 1)
    }

    @Test func anUpstreamBackInTheRotationRampsUpOverSlowStart() {
        let balancer = EndpointBalancer(
            upstreams: Self.upstreams(["http://a/", "http://b/"], slowStart: 10), previous: nil)
        balancer.refused(0, now: at(0))
        // Back at 1 s: a tenth of its weight at first, all of it 10 s later.
        let early = picks(balancer, 110, at: 1.0).filter { $0 == 0 }.count
        #expect((5...15).contains(early), "\(early) of 110")
        let late = picks(balancer, 100, at: 11.5).filter { $0 == 0 }.count
        #expect((45...55).contains(late), "\(late) of 100")
    }

    @Test func withoutSlowStartAnUpstreamGetsItsWholeShareAtOnce() {
        let balancer = EndpointBalancer(upstreams: Self.upstreams(["http://a/", "http://b/"]), previous: nil)
        balancer.refused(0, now: at(0))
        #expect(picks(balancer, 100, at: 1.0).filter { $0 == 0 }.count == 50)
    }
}

/// One endpoint's rate limit on one replica, shared or not with the others.
@Suite struct EndpointRateLimiterTests {
    static let now = NIODeadline.uptimeNanoseconds(10_000_000_000)

    func passed(_ limiter: EndpointRateLimiter, replicas: Int) -> Int {
        (0..<20).filter { _ in limiter.admit(key: "k", now: Self.now, replicas: replicas).allowed }.count
    }

    @Test func aGatewayLimitGivesEachReplicaItsShareOfTheBurst() {
        let limiter = EndpointRateLimiter(policy: RateLimitPolicy(requestsPerSecond: 5, burst: 10, scope: .gateway))
        #expect(passed(limiter, replicas: 2) == 5)
    }

    @Test func aReplicaLimitIgnoresTheOtherReplicas() {
        let limiter = EndpointRateLimiter(policy: RateLimitPolicy(requestsPerSecond: 5, burst: 10))
        #expect(passed(limiter, replicas: 2) == 10)
    }

    @Test func headerKeysAreCutAndAMissingHeaderHasItsOwnBucket() {
        let limiter = EndpointRateLimiter(policy: RateLimitPolicy(requestsPerSecond: 5, key: .header("x-api-key")))
        let long = String(repeating: "k", count: 1000)
        #expect(limiter.key(clientIP: "1.2.3.4", headers: ["X-API-Key": long])?.utf8.count == 256)
        #expect(limiter.key(clientIP: "1.2.3.4", headers: [:]) == nil)
    }
}
