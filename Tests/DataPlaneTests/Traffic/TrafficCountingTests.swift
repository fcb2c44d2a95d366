import DataPlane
import DataPlaneTesting
import NIOCore
import Shared
import Testing

/// What a replica counts of retries, refused retries and rate-limit rejections, per endpoint,
/// for `orch_retries_total`, `orch_retry_budget_exhausted_total` and `orch_rate_limited_total`.
@Suite struct TrafficCountingTests {
    @Test func refusedConnectionsCountRetriesUntilTheBudgetRefusesThem() throws {
        let proxy = try EmbeddedProxy()
        defer { proxy.shutdown() }
        proxy.connector.refuse = true
        // Five: the endpoint's breaker opens after as many failures.
        for _ in 0..<5 {
            try proxy.send("GET /orchestrator/svc/x HTTP/1.1\r\nHost: gw\r\n\r\n")
        }
        let statuses = try proxy.responses().map(\.status)
        #expect(statuses == Array(repeating: 502, count: 5), "\(statuses)")
        let counters = proxy.state.traffic.counters(for: "svc")
        let retried = counters.retries[RetryReason.connect.rawValue]
        // Nothing in flight besides: the budget allows its minimum per second, then refuses.
        #expect(retried == RetryPolicy.defaults.minPerSecond)
        #expect(counters.retryBudgetExhausted == 5 - retried)
        #expect(counters.traffic(endpoint: "svc").retries == ["connect": retried])
    }

    @Test func aRateLimitedRequestIsCounted() throws {
        var endpoint = EmbeddedProxy.endpoint("svc", url: "http://upstream.test:8080/api", methods: ["GET"])
        endpoint.config.rateLimit = RateLimitPolicy(requestsPerSecond: 1, burst: 1)
        let proxy = try EmbeddedProxy(endpoints: [endpoint])
        defer { proxy.shutdown() }
        try proxy.send("GET /orchestrator/svc/x HTTP/1.1\r\nHost: gw\r\n\r\n")
        try proxy.upstream()?.respond("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
        try proxy.send("GET /orchestrator/svc/x HTTP/1.1\r\nHost: gw\r\n\r\n")
        #expect(try proxy.responses().map(\.status) == [200, 429])
        #expect(proxy.state.traffic.counters(for: "svc").rateLimited == 1)
        #expect(proxy.state.traffic.counters(for: "svc").traffic(endpoint: "svc").rateLimited == 1)
    }
}
