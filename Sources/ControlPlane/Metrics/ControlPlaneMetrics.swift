import Foundation
import NIOConcurrencyHelpers
import Prometheus

/// The control plane's own metrics, kept in a swift-prometheus ``PrometheusCollectorRegistry``:
/// uptime, config reloads and NACKs. Their sources count in plain integers; each scrape moves
/// the registry's counters forward by what changed since the previous scrape.
package final class ControlPlaneMetrics: Sendable {
    package let registry = PrometheusCollectorRegistry()
    private let uptime: Gauge
    private let reloadsOK: Counter
    private let reloadsFailed: Counter
    /// Values already added to the counters, by counter key.
    private let seen = NIOLockedValueBox([String: Int]())

    package init() {
        uptime = registry.makeGauge(
            descriptor: .init(
                namespace: "orch", metricName: "uptime", unitName: "seconds",
                helpText: "Seconds since the control plane started."))
        let reloads = MetricNameDescriptor(
            namespace: "orch", metricName: "config_reloads", unitName: "total",
            helpText: "Config file loads, applied (ok) or rejected (failed).")
        reloadsOK = registry.makeCounter(descriptor: reloads, labels: [("result", "ok")])
        reloadsFailed = registry.makeCounter(descriptor: reloads, labels: [("result", "failed")])
    }

    /// Brings the registry up to date with the control plane's current counts.
    package func update(startedAt: Date, reloads: (ok: Int, failed: Int), nacks: [String: Int]) {
        uptime.set(Date().timeIntervalSince(startedAt))
        advance(reloadsOK, key: "reloads.ok", to: reloads.ok)
        advance(reloadsFailed, key: "reloads.failed", to: reloads.failed)
        for (replica, count) in nacks {
            let counter = registry.makeCounter(descriptor: Self.nacks, labels: [("replica", replica)])
            advance(counter, key: "nacks.\(replica)", to: count)
        }
    }

    private static var nacks: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "orch", metricName: "snapshot_nacks", unitName: "total",
            helpText: "Snapshots the replica rejected (NACKs) since the control plane started.")
    }

    private func advance(_ counter: Counter, key: String, to value: Int) {
        let delta = seen.withLockedValue { seen -> Int in
            let delta = value - seen[key, default: 0]
            if delta > 0 { seen[key] = value }
            return delta
        }
        if delta > 0 { counter.increment(by: Int64(delta)) }
    }

    /// The registry's exposition.
    package func render() -> String {
        registry.emitToString()
    }
}
