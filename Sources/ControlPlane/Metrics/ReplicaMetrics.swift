import Shared

/// Renders the replicas' reported counters, breaker states, endpoint health and snapshot acks
/// as Prometheus text. These series are rebuilt from the latest reports on every scrape rather
/// than fed into a registry: the reports are already cumulative, and series of replicas and
/// endpoints that went away disappear with them.
struct ReplicaMetrics {
    var traffic: [String: TrafficReport]
    var statuses: [ReplicaStatus]
    var breakers: [(replicaId: String, breaker: BreakerReport)]
    /// Endpoint id and whether its last probe found it healthy.
    var health: [(endpoint: String, healthy: Bool)]

    func render() -> String {
        var out = PrometheusText()
        let replicas = traffic.keys.sorted()
        let perEndpoint = replicas.flatMap { replica in traffic[replica]!.endpoints.map { (replica, $0) } }

        out.family(
            "orch_requests_total", type: "counter",
            help: "Responses sent to clients, by replica, endpoint and status class.")
        for (replica, endpoint) in perEndpoint {
            for statusClass in endpoint.responses.keys.sorted() {
                out.sample(
                    "orch_requests_total",
                    ["replica": replica, "endpoint": endpoint.endpoint, "status_class": statusClass],
                    Double(endpoint.responses[statusClass]!))
            }
        }
        histogram(
            &out, "orch_request_duration_seconds",
            help: "Time from request head received to response end sent, in seconds.",
            perEndpoint.map { ($0.0, $0.1.endpoint, $0.1.requestDuration) })
        histogram(
            &out, "orch_upstream_duration_seconds",
            help: "Time from upstream request start to upstream response end, in seconds.",
            perEndpoint.map { ($0.0, $0.1.endpoint, $0.1.upstreamDuration) }.filter { $0.2.count > 0 })

        out.family(
            "orch_upstream_errors_total", type: "counter",
            help: "Upstream failures by kind: connect, timeout, reset, 5xx.")
        for (replica, endpoint) in perEndpoint {
            for kind in endpoint.upstreamErrors.keys.sorted() {
                out.sample(
                    "orch_upstream_errors_total", ["replica": replica, "endpoint": endpoint.endpoint, "kind": kind],
                    Double(endpoint.upstreamErrors[kind]!))
            }
        }
        out.family(
            "orch_breaker_transitions_total", type: "counter",
            help: "Circuit breaker state changes, by replica and endpoint.")
        for (replica, endpoint) in perEndpoint where endpoint.breakerTransitions > 0 {
            out.sample(
                "orch_breaker_transitions_total", ["replica": replica, "endpoint": endpoint.endpoint],
                Double(endpoint.breakerTransitions))
        }
        out.family("orch_breaker_state", type: "gauge", help: "Circuit breaker state: 0 closed, 1 half-open, 2 open.")
        for (replica, breaker) in breakers {
            out.sample(
                "orch_breaker_state", ["endpoint": breaker.endpoint, "replica": replica],
                Self.breakerValue(breaker.state))
        }
        out.family(
            "orch_endpoint_healthy", type: "gauge", help: "1 when the endpoint's last health check passed, else 0.")
        for (endpoint, healthy) in health {
            out.sample("orch_endpoint_healthy", ["endpoint": endpoint], healthy ? 1 : 0)
        }
        out.family("orch_active_connections", type: "gauge", help: "Client connections open on the replica.")
        for replica in replicas {
            out.sample("orch_active_connections", ["replica": replica], Double(traffic[replica]!.activeConnections))
        }
        out.family(
            "orch_pooled_connections", type: "gauge", help: "Idle keep-alive upstream connections held by the replica.")
        for replica in replicas {
            out.sample("orch_pooled_connections", ["replica": replica], Double(traffic[replica]!.pooledConnections))
        }
        out.family(
            "orch_access_log_dropped_total", type: "counter",
            help: "Access-log lines a replica dropped because its writer fell behind.")
        for replica in replicas {
            if let dropped = traffic[replica]!.accessLogDropped {
                out.sample("orch_access_log_dropped_total", ["replica": replica], Double(dropped))
            }
        }
        out.family(
            "orch_snapshot_version_acked", type: "gauge", help: "The latest snapshot version the replica acknowledged.")
        for status in statuses where status.connected {
            if let version = status.ackedVersion {
                out.sample("orch_snapshot_version_acked", ["replica": status.replicaId], Double(version))
            }
        }
        return out.text
    }

    /// A histogram family from non-cumulative bucket counts.
    private func histogram(
        _ out: inout PrometheusText, _ name: String, help: String, _ series: [(String, String, LatencyHistogram)]
    ) {
        out.family(name, type: "histogram", help: help)
        for (replica, endpoint, histogram) in series {
            var cumulative = 0
            for (index, count) in histogram.buckets.enumerated() {
                cumulative += count
                let bound =
                    index < LatencyHistogram.upperBounds.count
                    ? PrometheusText.format(LatencyHistogram.upperBounds[index]) : "+Inf"
                out.sample(
                    name + "_bucket", ["replica": replica, "endpoint": endpoint, "le": bound], Double(cumulative))
            }
            out.sample(name + "_sum", ["replica": replica, "endpoint": endpoint], histogram.sum)
            out.sample(name + "_count", ["replica": replica, "endpoint": endpoint], Double(histogram.count))
        }
    }

    static func breakerValue(_ state: String) -> Double {
        switch state {
        case "open": 2
        case "half_open": 1
        default: 0
        }
    }
}
