import Foundation
import Shared
import Testing

@testable import ControlPlane

/// The traffic-management series of ``GatewayMetrics``: retries, refused retries and rate-limit
/// rejections from the replicas' traffic; each pool upstream's tries, failures, tries in flight
/// and breaker from their breaker reports.
struct TrafficMetricsTests {
    static func breaker(_ upstreams: [UpstreamBreakerReport]) -> BreakerReport {
        BreakerReport(
            endpoint: "pool", state: "closed", failureCount: 0, lastFailureTime: nil, lastSuccessTime: nil,
            stateChangedTime: "", halfOpenCalls: 0, rejected: 0, transitions: 0, failureThreshold: 5,
            resetTimeout: 60, halfOpenMaxCalls: 3, upstreams: upstreams)
    }

    static func upstream(_ url: String, requests: Int, errors: Int, inFlight: Int, state: String = "closed")
        -> UpstreamBreakerReport
    {
        UpstreamBreakerReport(
            url: url, state: state, failureCount: 0, lastFailureTime: nil, stateChangedTime: "", rejected: 0,
            transitions: 0, inFlight: inFlight, requests: requests, errors: errors)
    }

    static func input(
        traffic: [String: TrafficReport] = [:], breakers: [(replicaId: String, breaker: BreakerReport)] = []
    ) -> GatewayMetrics.Input {
        var features = TrafficFeatures()
        features.pools = ["pool": ["http://a/", "http://b/"]]
        features.retrying = ["pool"]
        features.rateLimited = ["pool"]
        features.upstreamHealth = [("pool", "http://a/", true), ("pool", "http://b/", false)]
        return GatewayMetrics.Input(
            startedAt: Date(), reloads: (0, 0), currentVersion: 1,
            replicas: [GatewayMetricsTests.replica("r1", slot: "1"), GatewayMetricsTests.replica("r2", slot: "2")],
            traffic: traffic, breakers: breakers, nacks: [:], endpoints: ["pool", "plain"], health: [],
            features: features)
    }

    @Test func poolSeriesStartAtZeroAndPlainEndpointsHaveNone() {
        let samples = MetricSamples(GatewayMetrics().scrape(Self.input()))
        #expect(samples.value("orch_retries_total", ["replica": "1", "endpoint": "pool", "reason": "connect"]) == 0)
        #expect(samples.value("orch_rate_limited_total", ["replica": "2", "endpoint": "pool"]) == 0)
        #expect(samples.value("orch_upstream_requests_total", ["replica": "1", "upstream": "http://b/"]) == 0)
        #expect(samples.value("orch_upstream_healthy", ["upstream": "http://b/"]) == 0)
        #expect(samples.value("orch_upstream_healthy", ["upstream": "http://a/"]) == 1)
        #expect(samples.value("orch_open_tunnels", ["replica": "2"]) == 0)
        #expect(!samples.values.contains { $0.labels["endpoint"] == "plain" && $0.family == "orch_retries_total" })
    }

    @Test func retriesBudgetAndRateLimitsAccumulateFromCumulativeReports() {
        let metrics = GatewayMetrics()
        func traffic(_ connect: Int, _ exhausted: Int, _ limited: Int, tunnels: Int) -> TrafficReport {
            TrafficReport(
                endpoints: [
                    EndpointTraffic(
                        endpoint: "pool", retries: ["connect": connect, "bogus": 7], retryBudgetExhausted: exhausted,
                        rateLimited: limited)
                ], openTunnels: tunnels)
        }
        _ = metrics.scrape(Self.input(traffic: ["r1": traffic(2, 1, 5, tunnels: 3)]))
        let samples = MetricSamples(metrics.scrape(Self.input(traffic: ["r1": traffic(6, 1, 9, tunnels: 1)])))
        #expect(samples.value("orch_retries_total", ["replica": "1", "endpoint": "pool", "reason": "connect"]) == 6)
        #expect(!samples.values.contains { $0.labels["reason"] == "bogus" })
        #expect(samples.value("orch_retry_budget_exhausted_total", ["replica": "1", "endpoint": "pool"]) == 1)
        #expect(samples.value("orch_rate_limited_total", ["replica": "1", "endpoint": "pool"]) == 9)
        #expect(samples.value("orch_open_tunnels", ["replica": "1"]) == 1)
    }

    @Test func upstreamTriesAreCountedPerSlotAndInFlightAndBreakersSummarised() {
        let metrics = GatewayMetrics()
        _ = metrics.scrape(
            Self.input(breakers: [
                ("r1", Self.breaker([Self.upstream("http://a/", requests: 10, errors: 1, inFlight: 2)]))
            ]))
        let samples = MetricSamples(
            metrics.scrape(
                Self.input(breakers: [
                    (
                        "r1",
                        Self.breaker([
                            Self.upstream("http://a/", requests: 15, errors: 1, inFlight: 1),
                            Self.upstream("http://b/", requests: 4, errors: 4, inFlight: 0, state: "open"),
                            Self.upstream("http://gone/", requests: 9, errors: 0, inFlight: 0),
                        ])
                    )
                ])))
        #expect(samples.value("orch_upstream_requests_total", ["replica": "1", "upstream": "http://a/"]) == 15)
        #expect(samples.value("orch_upstream_failures_total", ["replica": "1", "upstream": "http://b/"]) == 4)
        #expect(samples.value("orch_upstream_in_flight", ["replica": "1", "upstream": "http://a/"]) == 1)
        #expect(samples.value("orch_upstream_breaker_state", ["replica": "1", "upstream": "http://b/"]) == 2)
        #expect(!samples.values.contains { $0.labels["upstream"] == "http://gone/" })
    }
}
