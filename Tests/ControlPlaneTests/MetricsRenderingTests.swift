import Foundation
import Shared
import Testing

@testable import ControlPlane

/// The hand-rendered replica series: cumulative buckets, escaping, breaker values.
struct MetricsRenderingTests {
    @Test func histogramBucketsAreCumulativeAndEndWithInf() {
        var histogram = LatencyHistogram()
        histogram.record(seconds: 0.0001)
        histogram.record(seconds: 0.003)
        histogram.record(seconds: 0.003)
        histogram.record(seconds: 100)
        let traffic = TrafficReport(
            endpoints: [EndpointTraffic(endpoint: "a", responses: ["2xx": 4], requestDuration: histogram)])
        let text = ReplicaMetrics(traffic: ["r1": traffic], statuses: [], breakers: [], health: []).render()
        let samples = MetricSamples(text)
        let bucket = { (le: String) in
            samples.sum("orch_request_duration_seconds_bucket", ["replica": "r1", "endpoint": "a", "le": le])
        }
        #expect(bucket("0.0005") == 1)
        #expect(bucket("0.0025") == 1)
        #expect(bucket("0.005") == 3)
        #expect(bucket("30") == 3)
        #expect(bucket("+Inf") == 4)
        #expect(samples.sum("orch_request_duration_seconds_count", ["endpoint": "a"]) == 4)
        #expect(abs(samples.sum("orch_request_duration_seconds_sum", ["endpoint": "a"]) - 100.0061) < 1e-9)
        #expect(samples.sum("orch_requests_total", ["status_class": "2xx"]) == 4)
        // No upstream observations: no upstream histogram series, but the family is still declared.
        #expect(!text.contains("orch_upstream_duration_seconds_count"))
        #expect(text.contains("# TYPE orch_upstream_duration_seconds histogram"))
    }

    @Test func labelValuesAreEscapedAndBreakerStatesAreNumbers() {
        let breaker = { (state: String) in
            BreakerReport(
                endpoint: "e\"1\\", state: state, failureCount: 0, lastFailureTime: nil, lastSuccessTime: nil,
                stateChangedTime: "", halfOpenCalls: 0, rejected: 0, transitions: 0, failureThreshold: 5,
                resetTimeout: 30, halfOpenMaxCalls: 1)
        }
        let text = ReplicaMetrics(
            traffic: [:], statuses: [],
            breakers: [("r1", breaker("closed")), ("r2", breaker("half_open")), ("r3\n", breaker("open"))],
            health: [("up", true), ("down", false)]
        ).render()
        #expect(text.contains(#"orch_breaker_state{endpoint="e\"1\\",replica="r1"} 0"#))
        #expect(text.contains(#"orch_breaker_state{endpoint="e\"1\\",replica="r2"} 1"#))
        #expect(text.contains(#"orch_breaker_state{endpoint="e\"1\\",replica="r3\n"} 2"#))
        #expect(text.contains(#"orch_endpoint_healthy{endpoint="up"} 1"#))
        #expect(text.contains(#"orch_endpoint_healthy{endpoint="down"} 0"#))
    }

    @Test func controlPlaneCountersAdvanceByWhatChanged() {
        let metrics = ControlPlaneMetrics()
        metrics.update(startedAt: .now, reloads: (ok: 2, failed: 1), nacks: ["r1": 3])
        metrics.update(startedAt: .now, reloads: (ok: 5, failed: 1), nacks: ["r1": 4])
        let samples = MetricSamples(metrics.render())
        #expect(samples.sum("orch_config_reloads_total", ["result": "ok"]) == 5)
        #expect(samples.sum("orch_config_reloads_total", ["result": "failed"]) == 1)
        #expect(samples.sum("orch_snapshot_nacks_total", ["replica": "r1"]) == 4)
    }
}
