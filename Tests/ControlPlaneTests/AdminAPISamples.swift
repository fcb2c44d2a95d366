import AdminAPI
import Shared

/// One value of every admin API body, for ``AdminAPIContractTests``: `full` has every optional
/// field set and every array non-empty, so its JSON shows every key the type can send; `bare`
/// (where a type has optional fields) leaves them `nil`, so its JSON shows what is sent as `null`
/// and what is left out.
enum AdminAPISamples {
    static let time = "2026-12-02T08:00:00Z"

    static let issue = ValidationIssue(field: "url", line: 3, message: "must be an http or https URL")

    static let breakerOverride: BreakerPolicyOverride = {
        var block = BreakerPolicyOverride()
        block.failureThreshold = 3
        block.resetTimeout = 10
        block.halfOpenMaxCalls = 1
        block.failureStatuses = ["5xx"]
        block.failureRateThreshold = 0.5
        block.window = 20
        block.minimumCalls = 10
        block.fallbackStrategy = "error_response"
        return block
    }()

    static let healthOverride: HealthCheckPolicyOverride = {
        var block = HealthCheckPolicyOverride()
        block.enabled = true
        block.interval = 10
        block.timeout = 2
        block.unhealthyThreshold = 3
        block.healthyThreshold = 2
        return block
    }()

    static let breakerPolicy: BreakerPolicy = {
        var policy = BreakerPolicy.defaults
        policy.failureRateThreshold = 0.5
        return policy
    }()

    static let endpointConfig = EndpointConfig(
        name: "orders", url: "http://127.0.0.1:9000/orders", version: "v1", methods: ["GET", "POST"],
        authType: "bearer", disabled: false, healthCheckPath: "/health", timeout: 30, circuitBreaker: breakerOverride,
        healthCheck: healthOverride)

    /// An endpoint with a pool and every traffic policy (written without `url`).
    static let poolEndpointConfig = EndpointConfig(
        name: "pool", url: "http://127.0.0.1:9001/", version: "v2", methods: ["GET"], healthCheckPath: "/health",
        upstreams: [.init(url: "http://127.0.0.1:9001/", weight: 3), .init(url: "http://127.0.0.1:9002/")],
        loadBalancing: .leastRequest,
        retry: RetryPolicy(attempts: 2, on: ["503", "5xx"], budgetPercent: 25, minPerSecond: 5, perTryTimeout: 2.5),
        rateLimit: RateLimitPolicy(requestsPerSecond: 5, burst: 10, key: .header("x-api-key"), scope: .gateway),
        upstreamLimits: UpstreamLimits(maxConnections: 100, maxPending: 10), tunnelIdleTimeout: 120,
        slowStart: 30)

    static let tlsSettings = TLSSettings(
        certFile: "/tls/site.pem", keyFile: "/tls/site.key",
        certificates: [.init(certFile: "/tls/api.pem", keyFile: "/tls/api.key")], minVersion: .tls13,
        clientCAFile: "/tls/ca.pem")

    static let snapshotEndpoint = SnapshotEndpoint(
        config: endpointConfig, owner: .api, circuitBreaker: breakerPolicy, healthCheck: .defaults, health: .healthy,
        status: .active)

    static let poolSnapshotEndpoint = SnapshotEndpoint(
        config: poolEndpointConfig, owner: .api, circuitBreaker: .defaults, healthCheck: .defaults, health: .unknown,
        status: .active)

    static let snapshot = Snapshot(
        version: 7, createdAt: time, cause: "api: register orders",
        endpoints: [snapshotEndpoint, poolSnapshotEndpoint],
        proxy: .defaults,
        tls: tlsSettings)

    static let endpointDetails = EndpointDetails(
        endpointId: "orders", url: "http://127.0.0.1:9000/orders", name: "orders", version: "v1",
        methods: ["GET"], authType: "none", disabled: false, status: "active", circuitBreakerState: "closed",
        registrationTime: time, lastHealthCheck: time, consecutiveFailures: 0, lastFailureTime: time, timeout: 30,
        healthCheckPath: "/health", owner: "api", health: "healthy", circuitBreaker: breakerOverride,
        healthCheck: healthOverride,
        upstreams: poolEndpointConfig.upstreams?.map {
            UpstreamStatus(url: $0.url, weight: $0.weight, health: "healthy", circuitBreakerState: "open", inFlight: 2)
        },
        loadBalancing: poolEndpointConfig.loadBalancing, retry: poolEndpointConfig.retry,
        rateLimit: poolEndpointConfig.rateLimit, upstreamLimits: poolEndpointConfig.upstreamLimits,
        tunnelIdleTimeout: poolEndpointConfig.tunnelIdleTimeout, slowStart: poolEndpointConfig.slowStart)

    static let bareEndpointDetails = EndpointDetails(
        endpointId: "orders", url: "http://127.0.0.1:9000", name: "orders", methods: ["GET"], authType: "none",
        disabled: false, status: "active", circuitBreakerState: "closed", registrationTime: time,
        consecutiveFailures: 0, timeout: 30, owner: "file", health: "unknown")

    static let syncResult = SyncResult(added: ["a"], updated: ["b"], removed: ["c"], errors: ["d"])

    static let healthRecord = HealthRecord(
        endpointId: "orders", status: "unhealthy", lastCheckTime: time, responseTime: 0.012,
        errorMessage: "connection refused", consecutiveFailures: 3, consecutiveSuccesses: 0,
        url: "http://127.0.0.1:9000/health")

    static let bareHealthRecord = HealthRecord(
        endpointId: "orders", status: "unknown", lastCheckTime: time, consecutiveFailures: 0, consecutiveSuccesses: 0,
        url: "http://127.0.0.1:9000/health")

    static let healthSummary = HealthSummary(
        totalEndpoints: 2, healthyEndpoints: 1, unhealthyEndpoints: 1, unknownEndpoints: 0, healthPercentage: 50,
        averageResponseTime: 0.01, lastCheckTime: time,
        config: HealthCheckPolicyView(
            enabled: true, interval: 30, timeout: 5, unhealthyThreshold: 3, healthyThreshold: 2))

    static let bareHealthSummary = HealthSummary(
        totalEndpoints: 0, healthyEndpoints: 0, unhealthyEndpoints: 0, unknownEndpoints: 0, healthPercentage: 100,
        averageResponseTime: 0,
        config: HealthCheckPolicyView(
            enabled: true, interval: 30, timeout: 5, unhealthyThreshold: 3, healthyThreshold: 2))

    static let breakerSummary = BreakerSummary(
        totalCircuitBreakers: 1, openBreakers: 1, halfOpenBreakers: 0, closedBreakers: 0, healthPercentage: 0)

    static let breakerEntry = BreakerEntry(
        replicaId: "r1", endpointId: "orders", state: "open", failureCount: 5, lastFailureTime: time,
        lastSuccessTime: time, stateChangedTime: time, halfOpenCalls: 0, rejected: 2, transitions: 1,
        config: .init(failureThreshold: 5, resetTimeout: 30, halfOpenMaxCalls: 1),
        upstreams: [
            UpstreamBreakerReport(
                url: "http://127.0.0.1:9000/orders", state: "open", failureCount: 5, lastFailureTime: time,
                stateChangedTime: time, rejected: 2, transitions: 1, inFlight: 0, requests: 40, errors: 5),
            UpstreamBreakerReport(
                url: "http://127.0.0.1:9001/orders", state: "closed", failureCount: 0, lastFailureTime: nil,
                stateChangedTime: time, rejected: 0, transitions: 0, inFlight: 3, requests: 41, errors: 0),
        ])

    static let bareBreakerEntry = BreakerEntry(
        replicaId: "r1", endpointId: "orders", state: "closed", failureCount: 0, stateChangedTime: time,
        halfOpenCalls: 0, rejected: 0, transitions: 0,
        config: .init(failureThreshold: 5, resetTimeout: 30, halfOpenMaxCalls: 1))

    static let breakerAggregate = BreakerAggregate(endpointId: "orders", state: "open", replicas: 1, openIn: ["r1"])

    static let snapshotSummary = SnapshotSummary(
        version: 7, createdAt: time, cause: "api: register orders", checksum: "0123456789abcdef", endpointsCount: 1)

    static let replica = DataPlaneReplica(
        replicaId: "host-1", slot: "1", pid: 4242, supervised: true, connected: true, ackedVersion: 7, behind: false,
        lastNack: .init(version: 6, error: "bad snapshot", time: time), connectedAt: time, lastContact: time,
        requests: 12, draining: false, healthSeq: 3, address: "10.0.0.7:53122", controlPlane: "cp1:8001",
        softwareVersion: "0.1.0", snapshotChecksum: "0123456789abcdef", lastHeartbeat: time, refused: "too new")

    static let bareReplica = DataPlaneReplica(
        replicaId: "host-1", slot: "1", pid: 4242, supervised: false, connected: true, behind: true,
        connectedAt: time, lastContact: time, draining: false)

    static let supervised = SupervisedReplica(
        slot: 1, state: "running", pid: 4242, startedAt: time, restarts: 1, lastExit: "signal 9 (SIGKILL)",
        lastExitAt: time, lastError: "cannot start")

    static let bareSupervised = SupervisedReplica(slot: 1, state: "pending", restarts: 0)

    static let rollout = RolloutProgress(
        state: "failed", startedAt: time, finishedAt: time, replaced: 1, total: 2, error: "no ACK within 30 s",
        steps: [.init(slot: 1, oldPid: 10, newPid: 11)])

    static let bareRollout = RolloutProgress(state: "idle", replaced: 0, total: 0, steps: [.init(slot: 1)])

    static let drift = ConfigDrift(
        drifted: true, summary: "1 added", added: ["a"], changed: [ConfigChange(name: "b", fields: ["url"])],
        removed: ["c"], policiesChanged: true, proxyChanged: true)

    static let certificate = TLSStatus.CertificateStatus(
        certFile: "/tls/site.pem", keyFile: "/tls/site.key", isDefault: true, subject: "CN=gateway.test",
        dnsNames: ["gateway.test"], ipAddresses: ["192.0.2.1"], notBefore: time, notAfter: time, daysLeft: 88,
        expired: false, expiresSoon: false, error: "cannot read")

    static let bareCertificate = TLSStatus.CertificateStatus(
        certFile: "/tls/site.pem", keyFile: "/tls/site.key", isDefault: true, dnsNames: [], ipAddresses: [],
        expired: false, expiresSoon: false)

    static let tls = TLSStatus(
        listener: "0.0.0.0:8443", minVersion: "1.3", clientCAFile: "/tls/ca.pem", certificates: [certificate])

    static let bareTLS = TLSStatus(certificates: [bareCertificate])

    static let statusData = StatusData(
        generatedAt: time, currentVersion: 7, windowSeconds: 60,
        replicas: [
            .init(
                replicaId: "host-1", pid: 4242, connected: true, ackedVersion: 7, behind: false, draining: false,
                lastContact: time, lastReportAgeSeconds: 0.5)
        ],
        endpoints: [
            .init(
                name: "orders", status: "active", health: "healthy", breaker: "closed", openIn: ["r1"],
                traffic: .init(requests: 10, requestsPerSecond: 0.2, errorRate: 0.1, p99Seconds: 0.05))
        ],
        config: .init(
            path: "config/config.yaml", loaded: true, lastReloadTime: time, ok: false, error: "line 3: bad",
            drift: "1 added"))

    static let bareStatusData = StatusData(
        generatedAt: time, currentVersion: 0, windowSeconds: 0,
        replicas: [
            .init(replicaId: "host-1", pid: 4242, connected: false, behind: true, draining: false, lastContact: time)
        ],
        endpoints: [
            .init(name: "orders", status: "active", health: "unknown", breaker: "closed", openIn: [], traffic: nil),
            .init(
                name: "users", status: "active", health: "unknown", breaker: "closed", openIn: [],
                traffic: .init(requests: 0, requestsPerSecond: 0)),
        ],
        config: .init(path: "config/config.yaml", loaded: false, ok: true))

    static let cluster = ClusterStatus(
        store: "postgres", node: "cp-two", role: "follower",
        leader: ClusterLeader(node: "cp-one", epoch: 3, expiresAt: time),
        members: [
            ClusterMemberStatus(
                node: "cp-one", adminAddress: "10.0.0.1:8001", softwareVersion: "0.1.0", startedAt: time,
                lastHeartbeat: time, heartbeatAgeSeconds: 1.5, leader: true),
            ClusterMemberStatus(
                node: "cp-two", adminAddress: "10.0.0.2:8001", softwareVersion: "0.1.0", startedAt: time,
                lastHeartbeat: time, heartbeatAgeSeconds: 0.2, leader: false),
        ], currentVersion: 12)

    static let standaloneCluster = ClusterStatus(
        store: "sqlite", node: "gateway:8001", role: "leader", leader: nil, members: [], currentVersion: 3)
}
