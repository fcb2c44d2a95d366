import DataPlane
import Shared
import TestSupport
import Testing

@Suite struct TrafficCountersTests {
    @Test func aSlotAndAnEndpointNameFindTheSameCounters() {
        let traffic = TrafficCounters()
        let bySlot = traffic.counters(for: "orders", slot: 3)
        #expect(traffic.counters(for: "orders", slot: 3) === bySlot)
        #expect(traffic.counters(for: "orders") === bySlot)
        #expect(traffic.counters(for: "users", slot: 0) !== bySlot)
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

    @Test func aSlotGivenToAnotherEndpointByANewSnapshotIsRefilled() {
        let traffic = TrafficCounters()
        let orders = traffic.counters(for: "orders", slot: 0)
        orders.recordResponse(status: 200)
        // The next snapshot puts "users" first: slot 0 now means users, and orders moved.
        let users = traffic.counters(for: "users", slot: 0)
        #expect(users !== orders)
        #expect(traffic.counters(for: "orders", slot: 1) === orders)
        #expect(traffic.counters(for: "users", slot: 0) === users)
        let report = traffic.report(pooledConnections: 0)
        #expect(report.endpoints.count == 2)
        #expect(report.endpoints.first { $0.endpoint == "orders" }?.responses["2xx"] == 1)
    }

    @Test func requestsWithoutAnEndpointCountAsUnmatched() {
        let traffic = TrafficCounters()
        traffic.counters(for: nil, slot: nil).recordResponse(status: 404)
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
}
