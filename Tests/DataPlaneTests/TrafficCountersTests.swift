import DataPlane
import Shared
import TestSupport
import Testing

@Suite struct TrafficCountersTests {
    @Test func anEndpointNameAlwaysFindsTheSameCounters() {
        let traffic = TrafficCounters()
        let orders = traffic.counters(for: "orders")
        #expect(traffic.counters(for: "orders") === orders)
        #expect(traffic.counters(for: "users") !== orders)
    }

    @Test func theInlineCountsHaveARoomForEveryBucketClassKindAndReason() {
        let counters = EndpointCounters(endpoint: "a")
        #expect(counters.requestDuration.buckets.count == LatencyHistogram.upperBounds.count + 1)
        #expect(counters.responses.count == 5)
        #expect(counters.upstreamErrors.count == UpstreamErrorKind.allCases.count)
        #expect(counters.retries.count == RetryReason.allCases.count)
    }

    @Test func endpointCountersAreReportedAsTheyWereCounted() {
        let counters = EndpointCounters(endpoint: "a")
        for status in [101, 200, 204, 503, 999] { counters.recordResponse(status: status) }
        for seconds in [0.0001, 0.004, 0.004, 31] { counters.requestDuration.record(seconds: seconds) }
        counters.upstreamDuration.record(seconds: 0.002)
        counters.upstreamErrors[UpstreamErrorKind.serverError.rawValue] = 2
        counters.retries[RetryReason.timeout.rawValue] = 3
        let traffic = counters.traffic(endpoint: "a")
        #expect(traffic.responses == ["1xx": 1, "2xx": 2, "5xx": 2])
        var expected = LatencyHistogram()
        for seconds in [0.0001, 0.004, 0.004, 31] { expected.record(seconds: seconds) }
        #expect(traffic.requestDuration == expected)
        #expect(traffic.upstreamDuration.buckets[LatencyHistogram.bucketIndex(seconds: 0.002)] == 1)
        #expect(traffic.upstreamDuration.count == 1)
        #expect(traffic.upstreamErrors == ["5xx": 2])
        #expect(traffic.retries == ["timeout": 3])
        #expect(traffic.retryBudgetExhausted == nil && traffic.rateLimited == nil)
    }

    @Test func loopsAddUpToOneEntryPerEndpointSortedByEndpoint() {
        let first = TrafficCounters()
        let second = TrafficCounters()
        first.activeConnections = 2
        second.activeConnections = 3
        second.openTunnels = 1
        first.requestsByTransport[ClientTransport.http1.rawValue] = 4
        second.requestsByTransport[ClientTransport.http1.rawValue] = 5
        for (traffic, status, seconds) in [(first, 200, 0.004), (second, 200, 0.2), (second, 503, 0.004)] {
            let users = traffic.counters(for: "users")
            users.recordResponse(status: status)
            users.requestDuration.record(seconds: seconds)
            users.upstreamDuration.record(seconds: seconds)
        }
        first.counters(for: "orders").retries[RetryReason.status.rawValue] = 1
        second.counters(for: "orders").retries[RetryReason.status.rawValue] = 2
        second.counters(for: "orders").retries[RetryReason.timeout.rawValue] = 1
        second.counters(for: "orders").rateLimited = 2
        first.counters(for: "orders").upstreamErrors[UpstreamErrorKind.timeout.rawValue] = 1
        second.counters(for: "orders").upstreamErrors[UpstreamErrorKind.timeout.rawValue] = 1

        var sum = TrafficSum()
        first.add(to: &sum, pooledConnections: 1)
        second.add(to: &sum, pooledConnections: 6)
        let report = sum.report
        #expect(report.endpoints.map(\.endpoint) == ["orders", "users"])
        #expect(report.activeConnections == 5 && report.pooledConnections == 7 && report.openTunnels == 1)
        #expect(report.requestsByProtocol?.first { $0.protocol == "http1" && !$0.tls }?.requests == 9)
        let orders = report.endpoints[0]
        #expect(orders.retries == ["status": 3, "timeout": 1])
        #expect(orders.rateLimited == 2 && orders.retryBudgetExhausted == nil)
        #expect(orders.upstreamErrors == ["timeout": 2])
        #expect(orders.responses.isEmpty && orders.requestDuration == LatencyHistogram())
        let users = report.endpoints[1]
        #expect(users.responses == ["2xx": 2, "5xx": 1])
        var expected = LatencyHistogram()
        for seconds in [0.004, 0.2, 0.004] { expected.record(seconds: seconds) }
        #expect(users.requestDuration == expected && users.upstreamDuration == expected)
        #expect(users.retries == nil)
    }

    @Test func requestsWithoutAnEndpointCountAsUnmatched() {
        let traffic = TrafficCounters()
        traffic.counters(for: nil).recordResponse(status: 404)
        #expect(traffic.report(pooledConnections: 0).endpoints.map(\.endpoint) == [TrafficReport.unmatchedEndpoint])
    }
}

@Suite struct ProxyRoutesTests {
    @Test func aRouteFromAnOlderSnapshotStillGetsItsOwnUpstream() throws {
        let old = ProxyRoutes(
            snapshot: .testing(
                version: 1, [.testing("a", url: "http://a.internal:81/"), .testing("b", url: "http://b.internal:82/")]))
        let new = ProxyRoutes(snapshot: .testing(version: 2, [.testing("b", url: "http://b.internal:82/")]))
        let a = try #require(old.table.routes["a"])
        let b = try #require(old.table.routes["b"])
        #expect(old.upstreams(for: a).targets[0].authority == "a.internal:81")
        // In the new table slot 0 is "b": a request planned on the old table keeps going to "a".
        #expect(new.upstreams(for: a).targets[0].authority == "a.internal:81")
        #expect(new.upstreams(for: b).targets[0].authority == "b.internal:82")
    }

    @Test func breakerTransitionsFillTheirEndpointsEntriesAndAddOnesForEndpointsWithoutTraffic() {
        func breaker(_ endpoint: String, transitions: Int) -> BreakerReport {
            BreakerReport(
                endpoint: endpoint, state: "closed", failureCount: 0, lastFailureTime: nil, lastSuccessTime: nil,
                stateChangedTime: "2026-01-01T00:00:00Z", halfOpenCalls: 0, rejected: 0, transitions: transitions,
                failureThreshold: 5, resetTimeout: 30, halfOpenMaxCalls: 1)
        }
        var report = TrafficReport()
        report.endpoints = (0..<3).map { EndpointTraffic(endpoint: "e\($0)") }
        let filled = report.withBreakerTransitions([
            breaker("e2", transitions: 4), breaker("e0", transitions: 0), breaker("idle", transitions: 1),
        ])
        #expect(filled.endpoints.map(\.endpoint) == ["e0", "e1", "e2", "idle"])
        #expect(filled.endpoints.map(\.breakerTransitions) == [0, 0, 4, 1])
        #expect(report.withBreakerTransitions([breaker("e1", transitions: 0)]) == report)
    }
}
