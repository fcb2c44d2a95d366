import DataPlane
import Foundation
import Shared
import Testing

/// Each upstream of a pool has a breaker of its own in the replica's registry (outlier
/// ejection), beside the endpoint's, with the endpoint's policy; it also counts the tries.
@Suite struct UpstreamBreakerTests {
    let pool = [UpstreamConfig(url: "http://a/"), UpstreamConfig(url: "http://b/")]
    let policy = BreakerPolicy(
        failureThreshold: 2, resetTimeout: 60, halfOpenMaxCalls: 1, failureStatuses: ["5xx"],
        failureRateThreshold: nil, window: 20, minimumCalls: 10, fallbackStrategy: "error_response")

    func registry() -> BreakerRegistry {
        let registry = BreakerRegistry()
        _ = registry.admit("svc", policy: policy)
        return registry
    }

    func failedTry(_ registry: BreakerRegistry, _ index: Int) {
        guard case .allowed(let trial) = registry.admitUpstream("svc", index, of: pool, policy: policy) else {
            Issue.record("upstream \(index) refused the try")
            return
        }
        registry.recordUpstream("svc", index, url: pool[index].url, .failure, trial: trial)
    }

    @Test func anUpstreamOpensAfterItsThresholdAndTheOtherAndTheEndpointStayClosed() {
        let registry = registry()
        failedTry(registry, 1)
        failedTry(registry, 1)
        guard case .rejected = registry.admitUpstream("svc", 1, of: pool, policy: policy) else {
            Issue.record("the failing upstream still admits tries")
            return
        }
        #expect(registry.upstreamState(of: "svc", url: "http://b/") == "open")
        #expect(registry.upstreamState(of: "svc", url: "http://a/") == "closed")
        #expect(registry.state(of: "svc") == "closed")
        #expect(registry.admitUpstream("svc", 0, of: pool, policy: policy) == .allowed(trial: nil))
    }

    @Test func theReportListsEachUpstreamWithItsTriesErrorsAndTriesInFlight() throws {
        let registry = registry()
        failedTry(registry, 1)
        _ = registry.admitUpstream("svc", 0, of: pool, policy: policy)
        let upstreams = try #require(registry.reports().first?.upstreams)
        #expect(upstreams.map(\.url) == ["http://a/", "http://b/"])
        #expect(upstreams.map(\.inFlight) == [1, 0])
        #expect(upstreams.map(\.requests) == [1, 1])
        #expect(upstreams.map(\.errors) == [0, 1])
        #expect(upstreams.map(\.failureCount) == [0, 1])
    }

    @Test func aForcedTryGoesToAnOpenUpstreamWithoutDecidingItsState() {
        let registry = registry()
        failedTry(registry, 1)
        failedTry(registry, 1)
        #expect(registry.admitUpstream("svc", 1, of: pool, policy: policy, force: true) == .allowed(trial: nil))
        registry.recordUpstream("svc", 1, url: "http://b/", .success, trial: nil)
        #expect(registry.upstreamState(of: "svc", url: "http://b/") == "open")
    }

    @Test func anOperatorResetClosesTheUpstreamBreakersToo() {
        let registry = registry()
        failedTry(registry, 0)
        failedTry(registry, 0)
        let resets = registry.resetCount
        registry.reset("svc")
        #expect(registry.upstreamState(of: "svc", url: "http://a/") == "closed")
        #expect(registry.takeChanged())
        #expect(registry.resetCount == resets + 1)
    }

    @Test func anUpstreamThatStaysInANewPoolKeepsItsBreaker() {
        let registry = registry()
        failedTry(registry, 1)
        failedTry(registry, 1)
        let next = [UpstreamConfig(url: "http://b/"), UpstreamConfig(url: "http://c/")]
        guard case .rejected = registry.admitUpstream("svc", 0, of: next, policy: policy) else {
            Issue.record("the open upstream lost its state when the pool changed")
            return
        }
        #expect(registry.reports().first?.upstreams?.map(\.url) == ["http://b/", "http://c/"])
    }

    @Test func aTryEndedAfterItsUpstreamLeftThePoolIsForgotten() {
        let registry = registry()
        guard case .allowed(let trial) = registry.admitUpstream("svc", 1, of: pool, policy: policy) else { return }
        _ = registry.admitUpstream("svc", 0, of: [UpstreamConfig(url: "http://c/"), pool[0]], policy: policy)
        registry.recordUpstream("svc", 1, url: "http://b/", .failure, trial: trial)
        #expect(registry.reports().first?.upstreams?.map(\.errors) == [0, 0])
    }
}
