import AdminAPI
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Shared

/// Probes every enabled, not disabled endpoint of the current snapshot at its interval, one probe
/// in flight per endpoint, and publishes health flips through the registry. One prober per
/// control plane, whatever the number of replicas. Policies are re-read from the snapshot on every
/// tick, so config changes take effect without a restart.
package actor HealthChecker: Service {
    let registry: EndpointRegistry
    let logger: Logger
    private var trackers: [String: HealthTracker] = [:]
    /// Each upstream's probe history, by pool endpoint and upstream URL: an upstream that turns
    /// unhealthy leaves the replicas' rotation.
    private var upstreamTrackers: [String: [String: HealthTracker]] = [:]
    private var records: [String: HealthRecord] = [:]
    private var nextDue: [String: ContinuousClock.Instant] = [:]
    private var inFlight: Set<String> = []
    private let clock = ContinuousClock()
    /// The endpoints of ``probedVersion`` that are probed: recomputed only when the version changes.
    private var probed: [SnapshotEndpoint] = []
    private var probedNames: Set<String> = []
    private var probedVersion: Int?
    /// Scans are at least this far apart: a burst of versions (or of probes ending, with thousands
    /// of endpoints) wakes the checker many times, and each scan looks at every probed endpoint.
    static let minimumScanSpacing: Duration = .milliseconds(50)

    /// Whether to probe: only while this control plane leads its cluster.
    private var active: @Sendable () -> Bool = { true }

    /// Probes only while `active` says so (the cluster's leader probes for every control plane).
    package func probe(while active: @escaping @Sendable () -> Bool) {
        self.active = active
    }

    package init(registry: EndpointRegistry, logger: Logger) {
        self.registry = registry
        self.logger = logger
    }

    /// Latest probe results, by endpoint.
    package func allRecords() -> [HealthRecord] { records.values.sorted { $0.endpointId < $1.endpointId } }

    package func record(_ name: String) -> HealthRecord? { records[name] }

    /// Latest probe results by endpoint name.
    package func recordsByEndpoint() -> [String: HealthRecord] { records }

    /// The health of each upstream of the pool `name` by URL, as its own probes say (empty for
    /// an endpoint with one upstream, or not probed).
    package func upstreamHealth(_ name: String) -> [String: EndpointHealth] {
        upstreamTrackers[name]?.mapValues(\.health) ?? [:]
    }

    /// ``upstreamHealth(_:)`` of every probed pool, by endpoint name.
    package func allUpstreamHealth() -> [String: [String: EndpointHealth]] {
        upstreamTrackers.mapValues { $0.mapValues(\.health) }
    }

    /// Probes what is due, then sleeps until the next probe is due, a probe ends, or a new
    /// snapshot is published (an endpoint to probe at once, a changed interval), whichever comes
    /// first: no tick in between.
    package func run() async throws {
        let wakeup = Wakeup()
        let snapshots = await registry.publisher.snapshotVersions()
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    for await _ in snapshots { wakeup.wake() }
                }
                var lastScan: ContinuousClock.Instant?
                while !Task.isCancelled && !Task.isShuttingDownGracefully {
                    if let lastScan, lastScan.duration(to: clock.now) < Self.minimumScanSpacing {
                        try? await Task.sleep(until: lastScan + Self.minimumScanSpacing, clock: clock)
                        if Task.isCancelled || Task.isShuttingDownGracefully { break }
                    }
                    lastScan = clock.now
                    let (due, next) = await dueEndpoints()
                    for endpoint in due {
                        group.addTask {
                            _ = await self.probe(endpoint)
                            wakeup.wake()
                        }
                    }
                    await wakeup.wait(until: next)
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            wakeup.wake()
        }
    }

    /// Endpoints whose probe is due now, and when the next one not in flight is due; forgets
    /// endpoints that left the snapshot or stopped being probed.
    private func dueEndpoints() async -> (due: [SnapshotEndpoint], next: ContinuousClock.Instant?) {
        // A follower probes nothing; it looks again each second whether it leads.
        guard active() else { return ([], clock.now + .seconds(1)) }
        let snapshot = await registry.current
        if snapshot.version != probedVersion {
            probedVersion = snapshot.version
            probed = snapshot.endpoints.filter { $0.healthCheck.enabled && !$0.config.disabled }
            probedNames = Set(probed.map(\.name))
        }
        let probed = probed
        for name in trackers.keys where !probedNames.contains(name) {
            trackers[name] = nil
            records[name] = nil
            nextDue[name] = nil
            // No longer probed: its last verdict no longer holds.
            try? await registry.setHealth(name, .unknown)
            if upstreamTrackers.removeValue(forKey: name) != nil { await registry.setUnhealthyUpstreams(name, []) }
        }
        let now = clock.now
        var due: [SnapshotEndpoint] = []
        for endpoint in probed where !inFlight.contains(endpoint.name) {
            let at = nextDue[endpoint.name] ?? now  // the first probe runs at once (config load)
            if at <= now {
                inFlight.insert(endpoint.name)
                nextDue[endpoint.name] = now + .milliseconds(Int64(endpoint.healthCheck.interval * 1000))
                due.append(endpoint)
            }
        }
        let next = probed.filter { !inFlight.contains($0.name) }.compactMap { nextDue[$0.name] }.min()
        return (due, next)
    }

    /// Probes one endpoint now and records the result (also used by `POST /health/check/{id}`).
    @discardableResult
    /// Probes the endpoint's upstream, or every upstream of its pool at once: the endpoint is
    /// healthy while any of them answers (it is unhealthy only when all of them are).
    package func probe(_ endpoint: SnapshotEndpoint) async -> HealthRecord {
        let bases = endpoint.config.upstreamPool.compactMap { try? EndpointURL.parse($0.url).get() }
        guard !bases.isEmpty else {
            inFlight.remove(endpoint.name)
            return HealthRecord(
                endpointId: endpoint.name, status: "unknown", lastCheckTime: Timestamp.string(), responseTime: nil,
                errorMessage: "invalid URL", consecutiveFailures: 0, consecutiveSuccesses: 0, url: endpoint.config.url)
        }
        let urls = bases.map { ProbeTarget.url($0, healthCheckPath: endpoint.config.healthCheckPath) }
        let timeout = TimeAmount.milliseconds(Int64(endpoint.healthCheck.timeout * 1000))
        let started = clock.now
        let failures = await withTaskGroup(of: (Int, String?).self) { group in
            for (index, url) in urls.enumerated() {
                group.addTask { (index, await Self.probe(url, timeout: timeout)) }
            }
            var failures = [String?](repeating: nil, count: urls.count)
            for await (index, failure) in group { failures[index] = failure }
            return failures
        }
        let elapsed = (clock.now - started).seconds
        guard urls.count > 1 else {
            // A pool that became one upstream: its upstreams' verdicts no longer hold.
            if upstreamTrackers.removeValue(forKey: endpoint.name) != nil {
                await registry.setUnhealthyUpstreams(endpoint.name, [])
            }
            return await finish(endpoint, url: urls[0], error: failures[0], elapsed: elapsed)
        }
        await recordUpstreams(of: endpoint, succeeded: zip(bases, failures).map { ($0.description, $1 == nil) })
        if let healthy = failures.firstIndex(where: { $0 == nil }) {
            return await finish(endpoint, url: urls[healthy], error: nil, elapsed: elapsed)
        }
        let error =
            "every upstream failed: " + zip(urls, failures).map { "\($0) (\($1 ?? ""))" }.joined(separator: ", ")
        return await finish(endpoint, url: urls[0], error: error, elapsed: elapsed)
    }

    /// Records each upstream's probe of a pool endpoint (upstreams no longer in the pool are
    /// forgotten) and hands the registry the ones now unhealthy; it publishes them when they
    /// changed.
    private func recordUpstreams(of endpoint: SnapshotEndpoint, succeeded: [(url: String, Bool)]) async {
        let previous = upstreamTrackers[endpoint.name] ?? [:]
        var next: [String: HealthTracker] = [:]
        for (url, success) in succeeded {
            var tracker = previous[url] ?? HealthTracker()
            if let health = tracker.record(success: success, policy: endpoint.healthCheck) {
                logger.notice(
                    "upstream health changed",
                    metadata: [
                        "orch.endpoint": "\(endpoint.name)", "upstream": "\(url)", "health": "\(health.rawValue)",
                    ])
            }
            next[url] = tracker
        }
        upstreamTrackers[endpoint.name] = next
        await registry.setUnhealthyUpstreams(
            endpoint.name, next.filter { $0.value.health == .unhealthy }.map(\.key))
    }

    /// One probe of `url`: `nil` when it answered 2xx or 3xx in time, else why not.
    private static func probe(_ url: String, timeout: TimeAmount) async -> String? {
        do {
            let response = try await ProbeClient.shared.execute(HTTPClientRequest(url: url), timeout: timeout)
            _ = try? await response.body.collect(upTo: 1024 * 1024)
            if !(200..<400).contains(response.status.code) { return "HTTP \(response.status.code)" }
            return nil
        } catch {
            return ProbeClient.describe(error)
        }
    }

    private func finish(_ endpoint: SnapshotEndpoint, url: String, error: String?, elapsed: Double) async
        -> HealthRecord
    {
        inFlight.remove(endpoint.name)
        var tracker = trackers[endpoint.name] ?? HealthTracker()
        let flipped = tracker.record(success: error == nil, policy: endpoint.healthCheck)
        trackers[endpoint.name] = tracker
        let record = HealthRecord(
            endpointId: endpoint.name,
            status: tracker.health == .unhealthy ? "unhealthy" : tracker.health == .healthy ? "active" : "unknown",
            lastCheckTime: Timestamp.string(), responseTime: elapsed, errorMessage: error,
            consecutiveFailures: tracker.consecutiveFailures, consecutiveSuccesses: tracker.consecutiveSuccesses,
            url: url)
        records[endpoint.name] = record
        if let flipped {
            logger.notice(
                "endpoint health changed",
                metadata: [
                    "orch.endpoint": "\(endpoint.name)", "health": "\(flipped.rawValue)", "error": "\(error ?? "")",
                ])
            do {
                try await registry.setHealth(endpoint.name, flipped)
            } catch {
                logger.error(
                    "cannot publish health change",
                    metadata: ["orch.endpoint": "\(endpoint.name)", "error": "\(error)"])
            }
        }
        return record
    }
}
