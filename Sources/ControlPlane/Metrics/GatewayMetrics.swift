import Foundation
import NIOConcurrencyHelpers
import Prometheus
import Shared

/// Every series `GET /metrics` exports, in one swift-prometheus ``PrometheusCollectorRegistry``:
/// the control plane's own (uptime, reloads, build, snapshot version, process) and those the
/// replicas report.
///
/// Replicas are labelled by their stable slot (`replica="1"`), not by their id: replicas that
/// replace each other in a slot (rollouts, restarts) add to the same counters, so a rollout
/// neither starts new series nor resets a counter. Replica reports are cumulative; each scrape
/// advances the registry's counters by what every replica added since the previous scrape.
/// Series of slots without a connected replica, and of endpoints no longer in the snapshot, are
/// unregistered. Every series a slot or an endpoint has is registered (at 0) as soon as the slot
/// or endpoint exists, before any traffic.
package final class GatewayMetrics: Sendable {
    /// What one scrape brings the registry up to date with.
    package struct Input: Sendable {
        package var startedAt: Date
        package var reloads: (ok: Int, failed: Int)
        package var currentVersion: Int
        /// Every listed replica; only connected ones keep their slot's series alive.
        package var replicas: [ReplicaStatus]
        /// The latest cumulative traffic of each replica, by replica id.
        package var traffic: [String: TrafficReport]
        package var breakers: [(replicaId: String, breaker: BreakerReport)]
        /// NACKs received from each replica, by replica id.
        package var nacks: [String: Int]
        /// The endpoints of the current snapshot.
        package var endpoints: [String]
        /// Probed endpoints and whether the health checker finds them healthy.
        package var health: [(endpoint: String, healthy: Bool)]
        /// The traffic features of the snapshot's endpoints: their series are registered at 0.
        package var features = TrafficFeatures()

        package init(
            startedAt: Date, reloads: (ok: Int, failed: Int), currentVersion: Int, replicas: [ReplicaStatus],
            traffic: [String: TrafficReport], breakers: [(replicaId: String, breaker: BreakerReport)],
            nacks: [String: Int], endpoints: [String], health: [(endpoint: String, healthy: Bool)],
            features: TrafficFeatures = TrafficFeatures()
        ) {
            self.features = features
            self.startedAt = startedAt
            self.reloads = reloads
            self.currentVersion = currentVersion
            self.replicas = replicas
            self.traffic = traffic
            self.breakers = breakers
            self.nacks = nacks
            self.endpoints = endpoints
            self.health = health
        }
    }

    /// Status classes and upstream error kinds registered at 0 for every endpoint.
    static let statusClasses = ["2xx", "3xx", "4xx", "5xx"]
    static let errorKinds = ["connect", "timeout", "reset", "5xx"]
    /// The protocol and TLS pairs of `orch_requests_by_protocol_total`, registered at 0 for every
    /// slot: HTTP/1.x in plaintext or over TLS, HTTP/2 over TLS.
    static let protocols: [(protocol: String, tls: Bool)] = [("http1", false), ("http1", true), ("h2", true)]

    package let registry = PrometheusCollectorRegistry()
    let state = NIOLockedValueBox(State())
    private let uptime: Gauge
    private let currentVersion: Gauge
    private let reloadsOK: Counter
    private let reloadsFailed: Counter
    private let cpu: Counter
    private let resident: Gauge
    private let virtual: Gauge
    private let openFDs: Gauge
    private let maxFDs: Gauge
    private let startTime: Gauge

    /// What the registry holds besides the fixed series, and what it has seen of each replica.
    struct State {
        /// Which slot, endpoint, replica or upstream a series belongs to; it goes when they do.
        struct Scope: Hashable {
            var slot: String?
            var endpoint: String?
            var replicaId: String?
            /// An upstream URL of the endpoint's pool.
            var upstream: String?
        }
        enum Metric {
            case counter(Counter)
            case gauge(Gauge)
            case histogram(ValueHistogram)
        }
        var series: [String: (scope: Scope, metric: Metric)] = [:]
        /// The last report and NACK count of each replica, to take differences from.
        var lastTraffic: [String: TrafficReport] = [:]
        var lastNacks: [String: Int] = [:]
        /// The last upstream counts of each replica: by replica id, then endpoint and URL.
        var lastUpstreams: [String: [String: [String: (requests: Int, errors: Int)]]] = [:]
        var cpuSeen = 0.0
        var reloadsSeen = (ok: 0, failed: 0)
    }

    package init(version: String = ControlPlaneVersion.string) {
        uptime = registry.makeGauge(descriptor: .init("orch_uptime_seconds", Help.uptime), labels: [])
        currentVersion = registry.makeGauge(
            descriptor: .init("orch_snapshot_current_version", Help.currentVersion), labels: [])
        reloadsOK = registry.makeCounter(
            descriptor: .init("orch_config_reloads_total", Help.reloads), labels: [("result", "ok")])
        reloadsFailed = registry.makeCounter(
            descriptor: .init("orch_config_reloads_total", Help.reloads), labels: [("result", "failed")])
        registry.makeGauge(descriptor: .init("orch_build_info", Help.build), labels: [("version", version)]).set(
            to: 1.0)
        cpu = registry.makeCounter(descriptor: .init("process_cpu_seconds_total", Help.cpu), labels: [])
        resident = registry.makeGauge(descriptor: .init("process_resident_memory_bytes", Help.resident), labels: [])
        virtual = registry.makeGauge(descriptor: .init("process_virtual_memory_bytes", Help.virtual), labels: [])
        openFDs = registry.makeGauge(descriptor: .init("process_open_fds", Help.openFDs), labels: [])
        maxFDs = registry.makeGauge(descriptor: .init("process_max_fds", Help.maxFDs), labels: [])
        startTime = registry.makeGauge(descriptor: .init("process_start_time_seconds", Help.startTime), labels: [])
    }

    /// Brings every series up to date and returns the exposition.
    package func scrape(_ input: Input) -> String {
        update(input)
        return registry.emitToString()
    }

    /// Brings every series up to date with `input`.
    package func update(_ input: Input) {
        uptime.set(Date().timeIntervalSince(input.startedAt))
        startTime.set(input.startedAt.timeIntervalSince1970)
        currentVersion.set(Double(input.currentVersion))
        let process = ProcessMetrics.read()
        resident.set(process.residentBytes)
        virtual.set(process.virtualBytes)
        openFDs.set(process.openDescriptors)
        maxFDs.set(process.maximumDescriptors)
        state.withLockedValue { state in
            if process.cpuSeconds > state.cpuSeen {
                cpu.increment(by: process.cpuSeconds - state.cpuSeen)
                state.cpuSeen = process.cpuSeconds
            }
            reloadsOK.increment(by: Int64(max(0, input.reloads.ok - state.reloadsSeen.ok)))
            reloadsFailed.increment(by: Int64(max(0, input.reloads.failed - state.reloadsSeen.failed)))
            state.reloadsSeen = (
                max(input.reloads.ok, state.reloadsSeen.ok), max(input.reloads.failed, state.reloadsSeen.failed)
            )
            updateReplicas(input, &state)
        }
    }

    private func updateReplicas(_ input: Input, _ state: inout State) {
        let live = input.replicas.filter(\.connected)
        let liveSlots = Set(live.map(\.slot))
        let liveIds = Set(live.map(\.replicaId))
        let slotOf = Dictionary(input.replicas.map { ($0.replicaId, $0.slot) }, uniquingKeysWith: { first, _ in first })
        let endpoints = Set(input.endpoints)
        let routed = endpoints.union([TrafficReport.unmatchedEndpoint])

        // Every series of every live slot, at 0 until traffic comes.
        for slot in liveSlots {
            for endpoint in routed {
                for statusClass in Self.statusClasses { _ = requests(slot, endpoint, statusClass, &state) }
                _ = histogram("orch_request_duration_seconds", Help.requestDuration, slot, endpoint, &state)
                guard endpoint != TrafficReport.unmatchedEndpoint else { continue }
                _ = histogram("orch_upstream_duration_seconds", Help.upstreamDuration, slot, endpoint, &state)
                for kind in Self.errorKinds { _ = upstreamErrors(slot, endpoint, kind, &state) }
                _ = counter(
                    "orch_breaker_transitions_total", Help.transitions, [("replica", slot), ("endpoint", endpoint)],
                    .init(slot: slot, endpoint: endpoint), &state)
            }
            _ = slotCounter("orch_snapshot_nacks_total", Help.nacks, slot, &state)
            _ = slotCounter("orch_access_log_dropped_total", Help.dropped, slot, &state)
            for (name, tls) in Self.protocols { _ = requestsByProtocol(slot, name, tls, &state) }
            registerTrafficFeatures(slot: slot, input.features, &state)
        }

        // Counters: what each replica added since the previous scrape goes to its slot.
        for (id, report) in input.traffic {
            defer { state.lastTraffic[id] = report }
            guard let slot = slotOf[id], liveSlots.contains(slot) else { continue }
            let previous = state.lastTraffic[id]
            let before = previous?.endpointsByName ?? [:]
            for traffic in report.endpoints where routed.contains(traffic.endpoint) {
                add(traffic, since: before[traffic.endpoint], slot: slot, &state)
            }
            slotGauge("orch_open_tunnels", Help.openTunnels, slot, &state).set(Double(report.openTunnels ?? 0))
            let dropped = Self.delta(report.accessLogDropped ?? 0, previous?.accessLogDropped ?? 0)
            slotCounter("orch_access_log_dropped_total", Help.dropped, slot, &state).increment(by: Int64(dropped))
            for traffic in report.requestsByProtocol ?? [] {
                let before =
                    previous?.requestsByProtocol?.first { $0.protocol == traffic.protocol && $0.tls == traffic.tls }
                let delta = Self.delta(traffic.requests, before?.requests ?? 0)
                if delta > 0 {
                    requestsByProtocol(slot, traffic.protocol, traffic.tls, &state).increment(by: Int64(delta))
                }
            }
        }
        for id in state.lastTraffic.keys where input.traffic[id] == nil { state.lastTraffic[id] = nil }
        for (id, count) in input.nacks {
            defer { state.lastNacks[id] = count }
            guard let slot = slotOf[id], liveSlots.contains(slot) else { continue }
            let delta = Self.delta(count, state.lastNacks[id] ?? 0)
            slotCounter("orch_snapshot_nacks_total", Help.nacks, slot, &state).increment(by: Int64(delta))
        }
        for id in state.lastNacks.keys where input.nacks[id] == nil { state.lastNacks[id] = nil }

        // Gauges of the live replicas, summed (or the worst) over the replicas of a slot.
        var active: [String: Int] = [:]
        var pooled: [String: Int] = [:]
        var acked: [String: Int] = [:]
        for replica in live {
            let traffic = input.traffic[replica.replicaId]
            active[replica.slot, default: 0] += traffic?.activeConnections ?? 0
            pooled[replica.slot, default: 0] += traffic?.pooledConnections ?? 0
            if let version = replica.ackedVersion { acked[replica.slot] = min(acked[replica.slot] ?? version, version) }
            gauge(
                "orch_replica_info", Help.replicaInfo,
                [("replica", replica.slot), ("replica_id", replica.replicaId), ("pid", String(replica.pid))],
                .init(slot: replica.slot, replicaId: replica.replicaId), &state
            ).set(to: 1.0)
        }
        for slot in liveSlots {
            slotGauge("orch_active_connections", Help.active, slot, &state).set(Double(active[slot] ?? 0))
            slotGauge("orch_pooled_connections", Help.pooled, slot, &state).set(Double(pooled[slot] ?? 0))
            slotGauge("orch_snapshot_version", Help.version, slot, &state).set(Double(acked[slot] ?? 0))
        }
        var breakerStates: [State.Scope: Double] = [:]
        for slot in liveSlots { for endpoint in endpoints { breakerStates[.init(slot: slot, endpoint: endpoint)] = 0 } }
        for (id, breaker) in input.breakers where liveIds.contains(id) && endpoints.contains(breaker.endpoint) {
            guard let slot = slotOf[id] else { continue }
            let scope = State.Scope(slot: slot, endpoint: breaker.endpoint)
            breakerStates[scope] = max(breakerStates[scope] ?? 0, Self.breakerValue(breaker.state))
        }
        for (scope, value) in breakerStates {
            gauge(
                "orch_breaker_state", Help.breakerState, [("replica", scope.slot!), ("endpoint", scope.endpoint!)],
                scope, &state
            ).set(to: value)
        }
        updateUpstreams(input, slotOf: slotOf, liveIds: liveIds, endpoints: endpoints, &state)
        let probed = Set(input.health.map(\.endpoint))
        for (endpoint, healthy) in input.health where endpoints.contains(endpoint) {
            gauge(
                "orch_endpoint_healthy", Help.healthy, [("endpoint", endpoint)], .init(endpoint: endpoint), &state
            ).set(to: healthy ? 1.0 : 0.0)
        }

        // Series whose slot, endpoint or replica is gone.
        for (key, entry) in state.series {
            let scope = entry.scope
            var keep = true
            if let slot = scope.slot, !liveSlots.contains(slot) { keep = false }
            if let endpoint = scope.endpoint, !routed.contains(endpoint) { keep = false }
            if let id = scope.replicaId, !liveIds.contains(id) { keep = false }
            if scope.slot == nil, scope.replicaId == nil, scope.upstream == nil, let endpoint = scope.endpoint,
                !probed.contains(endpoint)
            {
                keep = false
            }
            if let upstream = scope.upstream, input.features.pools[scope.endpoint ?? ""]?.contains(upstream) != true {
                keep = false
            }
            guard !keep else { continue }
            switch entry.metric {
            case .counter(let counter): registry.unregisterCounter(counter)
            case .gauge(let gauge): registry.unregisterGauge(gauge)
            case .histogram(let histogram): registry.unregisterValueHistogram(histogram)
            }
            state.series[key] = nil
        }
    }

    /// Adds what one replica served for one endpoint since its previous report to its slot's series.
    private func add(_ traffic: EndpointTraffic, since previous: EndpointTraffic?, slot: String, _ state: inout State) {
        let endpoint = traffic.endpoint
        for (statusClass, count) in traffic.responses {
            let delta = Self.delta(count, previous?.responses[statusClass] ?? 0)
            if delta > 0 { requests(slot, endpoint, statusClass, &state).increment(by: Int64(delta)) }
        }
        replay(
            traffic.requestDuration, since: previous?.requestDuration,
            into: histogram("orch_request_duration_seconds", Help.requestDuration, slot, endpoint, &state))
        guard endpoint != TrafficReport.unmatchedEndpoint else { return }
        replay(
            traffic.upstreamDuration, since: previous?.upstreamDuration,
            into: histogram("orch_upstream_duration_seconds", Help.upstreamDuration, slot, endpoint, &state))
        for (kind, count) in traffic.upstreamErrors {
            let delta = Self.delta(count, previous?.upstreamErrors[kind] ?? 0)
            if delta > 0 { upstreamErrors(slot, endpoint, kind, &state).increment(by: Int64(delta)) }
        }
        addRetriesAndLimits(traffic, since: previous, slot: slot, &state)
        let transitions = Self.delta(traffic.breakerTransitions, previous?.breakerTransitions ?? 0)
        if transitions > 0 {
            counter(
                "orch_breaker_transitions_total", Help.transitions, [("replica", slot), ("endpoint", endpoint)],
                .init(slot: slot, endpoint: endpoint), &state
            ).increment(by: Int64(transitions))
        }
    }

    private func replay(_ current: LatencyHistogram, since previous: LatencyHistogram?, into histogram: ValueHistogram)
    {
        var deltas = current.buckets
        var sum = current.sum
        if let previous, previous.count <= current.count, previous.buckets.count == current.buckets.count {
            deltas = zip(current.buckets, previous.buckets).map { max(0, $0 - $1) }
            sum -= previous.sum
        }
        for (value, times) in HistogramReplay.observations(
            bucketDeltas: deltas, sumDelta: sum, upperBounds: LatencyHistogram.upperBounds)
        {
            for _ in 0..<times { histogram.record(value) }
        }
    }

    /// Growth of a cumulative count; a smaller value means its replica started counting again.
    static func delta(_ current: Int, _ previous: Int) -> Int {
        current >= previous ? current - previous : current
    }

    static func breakerValue(_ state: String) -> Double {
        switch state {
        case "open": 2
        case "half_open": 1
        default: 0
        }
    }

    // MARK: Series

    private func requests(_ slot: String, _ endpoint: String, _ statusClass: String, _ state: inout State) -> Counter {
        counter(
            "orch_requests_total", Help.requests,
            [("replica", slot), ("endpoint", endpoint), ("status_class", statusClass)],
            .init(slot: slot, endpoint: endpoint), &state)
    }

    private func requestsByProtocol(_ slot: String, _ name: String, _ tls: Bool, _ state: inout State) -> Counter {
        counter(
            "orch_requests_by_protocol_total", Help.requestsByProtocol,
            [("replica", slot), ("protocol", name), ("tls", tls ? "true" : "false")], .init(slot: slot), &state)
    }

    private func upstreamErrors(_ slot: String, _ endpoint: String, _ kind: String, _ state: inout State) -> Counter {
        counter(
            "orch_upstream_errors_total", Help.upstreamErrors,
            [("replica", slot), ("endpoint", endpoint), ("kind", kind)],
            .init(slot: slot, endpoint: endpoint), &state)
    }

    func slotCounter(_ name: String, _ help: String, _ slot: String, _ state: inout State) -> Counter {
        counter(name, help, [("replica", slot)], .init(slot: slot), &state)
    }

    func slotGauge(_ name: String, _ help: String, _ slot: String, _ state: inout State) -> Gauge {
        gauge(name, help, [("replica", slot)], .init(slot: slot), &state)
    }

    func counter(
        _ name: String, _ help: String, _ labels: [(String, String)], _ scope: State.Scope, _ state: inout State
    ) -> Counter {
        let key = Self.key(name, labels)
        if case .counter(let counter) = state.series[key]?.metric { return counter }
        let counter = registry.makeCounter(descriptor: .init(name, help), labels: labels)
        state.series[key] = (scope, .counter(counter))
        return counter
    }

    func gauge(
        _ name: String, _ help: String, _ labels: [(String, String)], _ scope: State.Scope, _ state: inout State
    ) -> Gauge {
        let key = Self.key(name, labels)
        if case .gauge(let gauge) = state.series[key]?.metric { return gauge }
        let gauge = registry.makeGauge(descriptor: .init(name, help), labels: labels)
        state.series[key] = (scope, .gauge(gauge))
        return gauge
    }

    private func histogram(
        _ name: String, _ help: String, _ slot: String, _ endpoint: String, _ state: inout State
    ) -> ValueHistogram {
        let labels = [("replica", slot), ("endpoint", endpoint)]
        let key = Self.key(name, labels)
        if case .histogram(let histogram) = state.series[key]?.metric { return histogram }
        let histogram = registry.makeValueHistogram(
            descriptor: .init(name, help), labels: labels, buckets: LatencyHistogram.upperBounds)
        state.series[key] = (.init(slot: slot, endpoint: endpoint), .histogram(histogram))
        return histogram
    }

    private static func key(_ name: String, _ labels: [(String, String)]) -> String {
        ([name] + labels.map { "\($0.0)=\($0.1)" }).joined(separator: "\u{1F}")
    }

    /// The help text of every family (the registry insists that it never changes).
    enum Help {
        static let uptime = "Seconds since the control plane started."
        static let currentVersion = "The newest snapshot version the control plane published."
        static let reloads = "Config file loads, applied (ok) or rejected (failed)."
        static let build = "Always 1; the control plane's version in the version label."
        static let cpu = "Total user and system CPU time of the control plane, in seconds."
        static let resident = "Resident memory of the control plane, in bytes."
        static let virtual = "Virtual memory of the control plane, in bytes."
        static let openFDs = "Open file descriptors of the control plane."
        static let maxFDs = "The control plane's limit of open file descriptors (soft)."
        static let startTime = "When the control plane started, in seconds since the Unix epoch."
        static let requests = "Responses sent to clients, by replica slot, endpoint and status class."
        static let requestsByProtocol =
            "Responses sent to clients, by replica slot, the protocol the client spoke (http1, h2) and TLS."
        static let requestDuration = "Time from request head received to response end sent, in seconds."
        static let upstreamDuration = "Time from upstream request start to upstream response end, in seconds."
        static let upstreamErrors = "Upstream failures by kind: connect, timeout, reset, 5xx."
        static let transitions = "Circuit breaker state changes, by replica slot and endpoint."
        static let breakerState = "Circuit breaker state: 0 closed, 1 half-open, 2 open (the worst in the slot)."
        static let healthy = "1 when the health checker finds the endpoint healthy, else 0 (probed endpoints)."
        static let active = "Client connections open on the replica slot."
        static let pooled = "Idle keep-alive upstream connections held by the replica slot."
        static let version = "The snapshot version the replica slot serves (its latest acknowledged)."
        static let nacks = "Snapshots the replica slot rejected since the control plane started."
        static let dropped = "Access-log lines the replica slot dropped because its writer fell behind."
        static let replicaInfo = "Always 1; the replica process now serving a slot, with its id and pid."
        static let openTunnels = "Client connections of the replica slot that became byte tunnels (WebSocket)."
        static let retries =
            "Retried tries, by replica slot, endpoint and reason: connect, overloaded, status, timeout."
        static let budgetExhausted = "Retries the retry budget refused (the client got the original failure)."
        static let rateLimited = "Requests answered 429 by the endpoint's rate limit."
        static let upstreamRequests = "Tries sent to each upstream of a pool (a retry is another try)."
        static let upstreamFailures =
            "Failed tries of each upstream of a pool: refused, timed out, or a failure status."
        static let upstreamInFlight = "Tries in flight to each upstream of a pool."
        static let upstreamBreaker = "Each pool upstream's own breaker: 0 closed, 1 half-open, 2 open."
        static let upstreamHealthy = "1 when the health checker finds the pool's upstream healthy, else 0."
    }
}

extension MetricNameDescriptor {
    /// A descriptor of a full metric name (`orch_requests_total`) with its help text.
    init(_ name: String, _ help: String) {
        self.init(metricName: name, unitName: "", helpText: help)
    }
}
