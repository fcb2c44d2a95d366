import Foundation
import Shared
import Testing

@testable import ControlPlane

/// ``GatewayMetrics`` without a server: histograms replayed exactly, replicas summed into their
/// slot, counters kept across a replacement, and series of gone slots and endpoints dropped.
struct GatewayMetricsTests {
    static func replica(_ id: String, slot: String, pid: Int = 1, connected: Bool = true, acked: Int? = 3)
        -> ReplicaStatus
    {
        ReplicaStatus(
            replicaId: id, slot: slot, pid: pid, supervised: true, connected: connected, ackedVersion: acked,
            behind: false, lastNack: nil, connectedAt: "", lastContact: "", requests: nil, draining: false)
    }

    static func input(
        replicas: [ReplicaStatus], traffic: [String: TrafficReport] = [:], endpoints: [String] = ["a"],
        breakers: [(replicaId: String, breaker: BreakerReport)] = [], health: [(endpoint: String, healthy: Bool)] = [],
        nacks: [String: Int] = [:]
    ) -> GatewayMetrics.Input {
        GatewayMetrics.Input(
            startedAt: Date(), reloads: (1, 0), currentVersion: 3, replicas: replicas, traffic: traffic,
            breakers: breakers, nacks: nacks, endpoints: endpoints, health: health)
    }

    static func traffic(_ endpoint: String, requests: Int, seconds: [Double] = []) -> TrafficReport {
        var histogram = LatencyHistogram()
        for value in seconds { histogram.record(seconds: value) }
        return TrafficReport(endpoints: [
            EndpointTraffic(endpoint: endpoint, responses: ["2xx": requests], requestDuration: histogram)
        ])
    }

    @Test func requestsAreSplitByProtocolAndTLSAndOlderReportsLeaveTheSplitAtZero() {
        let metrics = GatewayMetrics()
        func report(_ http1: Int, _ http1TLS: Int, _ h2: Int) -> TrafficReport {
            TrafficReport(requestsByProtocol: [
                ProtocolTraffic(protocol: "http1", tls: false, requests: http1),
                ProtocolTraffic(protocol: "http1", tls: true, requests: http1TLS),
                ProtocolTraffic(protocol: "h2", tls: true, requests: h2),
            ])
        }
        let replicas = [Self.replica("r1", slot: "1"), Self.replica("r2", slot: "2")]
        let first = MetricSamples(
            metrics.scrape(Self.input(replicas: replicas, traffic: ["r1": report(5, 2, 3), "r2": TrafficReport()])))
        let series = { (samples: MetricSamples, slot: String, name: String, tls: String) in
            samples.sum("orch_requests_by_protocol_total", ["replica": slot, "protocol": name, "tls": tls])
        }
        #expect(series(first, "1", "http1", "false") == 5)
        #expect(series(first, "1", "http1", "true") == 2)
        #expect(series(first, "1", "h2", "true") == 3)
        // A replica whose reports carry no split (an older build) has its series, at 0.
        #expect(first.values.contains { $0.name == "orch_requests_by_protocol_total" && $0.labels["replica"] == "2" })
        #expect(series(first, "2", "h2", "true") == 0)
        let second = MetricSamples(
            metrics.scrape(Self.input(replicas: replicas, traffic: ["r1": report(6, 2, 10), "r2": TrafficReport()])))
        #expect(series(second, "1", "http1", "false") == 6)
        #expect(series(second, "1", "h2", "true") == 10)
    }

    @Test func histogramsAreReplayedWithExactCountsBucketsAndSum() {
        let values = [0.0001, 0.003, 0.003, 0.2, 7, 100]
        let metrics = GatewayMetrics()
        let text = metrics.scrape(
            Self.input(
                replicas: [Self.replica("r1", slot: "1")],
                traffic: ["r1": Self.traffic("a", requests: values.count, seconds: values)]))
        let samples = MetricSamples(text)
        let bucket = { (le: String) in
            samples.sum("orch_request_duration_seconds_bucket", ["replica": "1", "endpoint": "a", "le": le])
        }
        #expect(bucket("0.0005") == 1)
        #expect(bucket("0.005") == 3)
        #expect(bucket("0.25") == 4)
        #expect(bucket("10.0") == 5)
        #expect(bucket("30.0") == 5)
        #expect(bucket("+Inf") == 6)
        #expect(samples.sum("orch_request_duration_seconds_count", ["endpoint": "a"]) == 6)
        let sum = samples.sum("orch_request_duration_seconds_sum", ["endpoint": "a"])
        #expect(abs(sum - values.reduce(0, +)) < 1e-6, "sum \(sum)")
    }

    @Test func replayKeepsEachObservationInItsBucket() {
        let bounds = LatencyHistogram.upperBounds
        for _ in 0..<200 {
            var histogram = LatencyHistogram()
            for _ in 0..<Int.random(in: 1...20) { histogram.record(seconds: Double.random(in: 0...40)) }
            let replay = HistogramReplay.observations(
                bucketDeltas: histogram.buckets, sumDelta: histogram.sum, upperBounds: bounds)
            var rebuilt = LatencyHistogram()
            for (value, times) in replay { for _ in 0..<times { rebuilt.record(seconds: value) } }
            #expect(rebuilt.buckets == histogram.buckets)
            #expect(abs(rebuilt.sum - histogram.sum) < 1e-6 * max(1, histogram.sum))
        }
    }

    @Test func aReplacementInTheSameSlotAddsToTheSameCounters() {
        let metrics = GatewayMetrics()
        _ = metrics.scrape(
            Self.input(replicas: [Self.replica("old", slot: "1")], traffic: ["old": Self.traffic("a", requests: 40)]))
        // Rollout overlap: both serve slot 1.
        _ = metrics.scrape(
            Self.input(
                replicas: [Self.replica("old", slot: "1"), Self.replica("new", slot: "1", pid: 2)],
                traffic: ["old": Self.traffic("a", requests: 50), "new": Self.traffic("a", requests: 5)]))
        // The old one is gone; the new one counts on from its own start.
        let text = metrics.scrape(
            Self.input(
                replicas: [Self.replica("old", slot: "1", connected: false), Self.replica("new", slot: "1", pid: 2)],
                traffic: ["old": Self.traffic("a", requests: 50), "new": Self.traffic("a", requests: 7)]))
        let samples = MetricSamples(text)
        #expect(samples.sum("orch_requests_total", ["replica": "1", "endpoint": "a", "status_class": "2xx"]) == 57)
        #expect(samples.labelValues("orch_replica_info", "replica_id") == ["new"])
        #expect(Set(samples.labelValues("orch_requests_total", "replica")) == ["1"])
    }

    @Test func seriesOfGoneSlotsAndEndpointsDisappearAndNewOnesStartAtZero() {
        let metrics = GatewayMetrics()
        let first = MetricSamples(
            metrics.scrape(
                Self.input(
                    replicas: [Self.replica("r1", slot: "1"), Self.replica("r2", slot: "2")], endpoints: ["a", "b"],
                    health: [("a", true), ("b", false)])))
        #expect(Set(first.labelValues("orch_active_connections", "replica")) == ["1", "2"])
        #expect(first.value("orch_requests_total", ["replica": "2", "endpoint": "b"]) == 0)
        #expect(first.values.contains { $0.name == "orch_upstream_errors_total" && $0.labels["kind"] == "connect" })
        #expect(first.sum("orch_endpoint_healthy", ["endpoint": "a"]) == 1)
        #expect(first.value("orch_endpoint_healthy", ["endpoint": "b"]) == 0)

        let second = MetricSamples(
            metrics.scrape(
                Self.input(
                    replicas: [Self.replica("r1", slot: "1"), Self.replica("r2", slot: "2", connected: false)],
                    endpoints: ["a"], health: [("a", true)])))
        #expect(Set(second.labelValues("orch_active_connections", "replica")) == ["1"])
        #expect(Set(second.labelValues("orch_requests_total", "replica")) == ["1"])
        #expect(!second.labelValues("orch_requests_total", "endpoint").contains("b"))
        #expect(second.labelValues("orch_endpoint_healthy", "endpoint") == ["a"])
        #expect(second.sum("orch_config_reloads_total", ["result": "ok"]) == 1)
        #expect(second.values.contains { $0.name == "process_resident_memory_bytes" && $0.value > 0 })
    }

    @Test func breakerStatesAreTheWorstInTheSlot() {
        let breaker = { (state: String) in
            BreakerReport(
                endpoint: "a", state: state, failureCount: 0, lastFailureTime: nil, lastSuccessTime: nil,
                stateChangedTime: "", halfOpenCalls: 0, rejected: 0, transitions: 0, failureThreshold: 5,
                resetTimeout: 30, halfOpenMaxCalls: 1)
        }
        let metrics = GatewayMetrics()
        let samples = MetricSamples(
            metrics.scrape(
                Self.input(
                    replicas: [
                        Self.replica("r1", slot: "1"), Self.replica("r1b", slot: "1", pid: 2),
                        Self.replica("r2", slot: "2", pid: 3),
                    ],
                    breakers: [("r1", breaker("closed")), ("r1b", breaker("open")), ("r2", breaker("half_open"))])))
        #expect(samples.sum("orch_breaker_state", ["replica": "1", "endpoint": "a"]) == 2)
        #expect(samples.sum("orch_breaker_state", ["replica": "2", "endpoint": "a"]) == 1)
    }
}
