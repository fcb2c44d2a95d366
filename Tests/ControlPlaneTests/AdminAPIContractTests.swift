import AdminAPI
import Foundation
import Shared
import Testing

@testable import ControlPlane

/// `Resources/openapi.json` against the `AdminAPI` types the routes encode and orchctl decodes:
/// every JSON body the document describes has samples in ``contract``, and each sample, encoded
/// the way the routes encode it, must send exactly the properties its schema names (recursively),
/// `null` only where the schema says `nullable`, and every `required` property. Together the
/// samples of one schema must show every property it documents.
@Suite struct AdminAPIContractTests {
    /// A schema of the document: `#/components/schemas/NAME`, `METHOD /path STATUS` (a response's
    /// inline schema) or `METHOD /path request` (a JSON request body's inline schema).
    typealias Location = String

    typealias Samples = AdminAPISamples

    /// Each schema with the values that must agree with it.
    static let contract: [(Location, [any Encodable & Sendable])] = [
        ("#/components/schemas/Error", [ErrorBody(detail: .message("Endpoint not found: x")), validationError]),
        ("#/components/schemas/ValidationDetail", [validationDetail, ValidationDetail(loc: ["body"], msg: "bad")]),
        (
            "#/components/schemas/ValidationIssue",
            [Samples.issue, ValidationIssue(field: nil, line: nil, message: "x")]
        ),
        ("#/components/schemas/BreakerPolicyOverride", [Samples.breakerOverride]),
        ("#/components/schemas/HealthCheckPolicyOverride", [Samples.healthOverride]),
        ("#/components/schemas/BreakerPolicy", [Samples.breakerPolicy, BreakerPolicy.defaults]),
        ("#/components/schemas/HealthCheckPolicy", [HealthCheckPolicy.defaults]),
        ("#/components/schemas/ProxyLimits", [ProxyLimits.defaults]),
        ("#/components/schemas/TLSSettings", [Samples.tlsSettings, TLSSettings(certFile: "a.pem", keyFile: "a.key")]),
        ("#/components/schemas/EndpointConfigInput", [Samples.endpointConfig, Samples.poolEndpointConfig]),
        (
            "#/components/schemas/EndpointConfig",
            [Samples.endpointConfig, Samples.poolEndpointConfig, EndpointConfig(name: "a", url: "http://a")]
        ),
        ("#/components/schemas/EndpointDetails", [Samples.endpointDetails, Samples.bareEndpointDetails]),
        ("#/components/schemas/Upstream", Samples.poolEndpointConfig.upstreams ?? []),
        ("#/components/schemas/UpstreamStatus", Samples.endpointDetails.upstreams ?? []),
        ("#/components/schemas/UpstreamBreaker", Samples.breakerEntry.upstreams ?? []),
        ("#/components/schemas/RetryPolicy", [Samples.poolEndpointConfig.retry]),
        ("#/components/schemas/RateLimitPolicy", [Samples.poolEndpointConfig.rateLimit]),
        ("#/components/schemas/UpstreamLimits", [Samples.poolEndpointConfig.upstreamLimits]),
        (
            "#/components/schemas/Registered",
            [EndpointRegistered(message: "Endpoint registered successfully", endpointId: "a", endpointURL: "http://a")]
        ),
        ("#/components/schemas/SyncResult", [Samples.syncResult]),
        ("#/components/schemas/HealthRecord", [Samples.healthRecord, Samples.bareHealthRecord]),
        ("#/components/schemas/HealthSummary", [Samples.healthSummary, Samples.bareHealthSummary]),
        ("#/components/schemas/BreakerSummary", [Samples.breakerSummary]),
        ("#/components/schemas/BreakerEntry", [Samples.breakerEntry, Samples.bareBreakerEntry]),
        ("#/components/schemas/BreakerAggregate", [Samples.breakerAggregate]),
        ("#/components/schemas/SnapshotSummary", [Samples.snapshotSummary]),
        (
            "#/components/schemas/SnapshotEndpoint",
            [Samples.snapshotEndpoint, Samples.poolSnapshotEndpoint]
        ),
        (
            "#/components/schemas/Snapshot",
            [Samples.snapshot, Snapshot(version: 1, createdAt: "t", cause: "c", endpoints: [])]
        ),
        ("#/components/schemas/ReplicaStatus", [Samples.replica, Samples.bareReplica]),
        ("#/components/schemas/ReplicaProcessStatus", [Samples.supervised, Samples.bareSupervised]),
        ("#/components/schemas/RolloutStatus", [Samples.rollout, Samples.bareRollout]),
        ("#/components/schemas/StatusData", [Samples.statusData, Samples.bareStatusData]),
        (
            "#/components/schemas/ConfigDrift",
            [
                Samples.drift,
                ConfigDrift(
                    drifted: false, added: [], changed: [], removed: [], policiesChanged: false, proxyChanged: false),
            ]
        ),
        (
            "#/components/schemas/ImportResult",
            [ImportResult(added: ["a"], updated: ["b"], removed: ["c"], unchanged: ["d"], dryRun: true)]
        ),
        ("#/components/schemas/TLSStatus", [Samples.tls, Samples.bareTLS]),
        ("#/components/schemas/TLSCertificateStatus", [Samples.certificate, Samples.bareCertificate]),
        ("GET / 200", [ServiceDescription(version: "0.1.0", endpoints: RootRoutes.routeGroups)]),
        ("GET /health 200", [gatewayHealth]),
        ("GET /health 503", [GatewayHealthFailure(error: "store unavailable", timestamp: Samples.time)]),
        (
            "GET /registry/endpoints 200",
            [
                EndpointList(
                    endpoints: [Samples.endpointDetails], totalCount: 1, activeCount: 1, unhealthyCount: 0,
                    disabledCount: 0, nextCursor: "42"),
                EndpointList(endpoints: [], totalCount: 0, activeCount: 0, unhealthyCount: 0, disabledCount: 0),
            ]
        ),
        (
            "DELETE /registry/endpoints/{id} 200",
            [EndpointRemoved(message: "Endpoint a unregistered successfully", endpointId: "a")]
        ),
        (
            "PUT /registry/endpoints/{id}/status 200",
            [EndpointStatusChanged(message: "m", endpointId: "a", newStatus: "inactive")]
        ),
        (
            "GET /registry/stats 200",
            [RegistryStatsResponse(registryStats: RegistryStats(total: 1, active: 1), timestamp: Samples.time)]
        ),
        ("POST /registry/sync 200", [RegistrySynced(syncResult: Samples.syncResult, timestamp: Samples.time)]),
        ("POST /config/reload 200", [ConfigReloaded(endpointsCount: 1, syncResult: Samples.syncResult, errors: ["x"])]),
        ("GET /config/status 200", [configStatus, bareConfigStatus]),
        (
            "GET /config/endpoints 200",
            [
                ConfigEndpoints(
                    endpoints: [Samples.endpointConfig, Samples.poolEndpointConfig], totalCount: 2, disabledCount: 0,
                    activeCount: 2)
            ]
        ),
        (
            "POST /config/validate 200",
            [
                ConfigValidation(
                    valid: false, errorMessage: "Validation error: x", errors: [Samples.issue],
                    configPath: "config.yaml"),
                ConfigValidation(valid: true, endpointsCount: 1),
            ]
        ),
        (
            "POST /config/diff 200",
            [
                ConfigDiff(
                    added: ["a"], changed: [ConfigChange(name: "b", fields: ["url"])], removed: ["c"], unchanged: ["d"],
                    conflicts: ["e"], policiesChanged: true, proxyChanged: true, tlsChanged: true)
            ]
        ),
        (
            "GET /router/routes 200",
            [
                RouteListing(
                    routes: [
                        RouteEntry(
                            pattern: "orders", endpointId: "orders", targetURL: "http://a", methods: ["GET"],
                            status: "active", circuitBreakerState: "closed")
                    ], totalCount: 1, snapshotVersion: 7, timestamp: Samples.time)
            ]
        ),
        (
            "GET /router/test/{id} 200",
            [
                RouteTested(
                    testResult: RouteTestResult(
                        endpointId: "a", url: "http://a", statusCode: 200, responseTime: 0.1, success: true, error: "x"),
                    timestamp: Samples.time),
                RouteTested(
                    testResult: RouteTestResult(endpointId: "a", url: "http://a", responseTime: 0, success: false),
                    timestamp: Samples.time),
            ]
        ),
        (
            "POST /router/refresh 200",
            [RoutesRefreshed(activeRoutesCount: 1, snapshotVersion: 7, timestamp: Samples.time)]
        ),
        (
            "GET /router/debug/{path} 200",
            [
                RouteDebug(
                    inputPath: "orders/x", normalizedPath: "/orders/x",
                    matchedEndpoint: .init(
                        endpointId: "orders", name: "orders", url: "http://a", methods: ["GET"], status: "active"),
                    relativePath: "x", wouldForwardTo: "http://a/x"),
                RouteDebug(
                    inputPath: "pool/x", normalizedPath: "/pool/x",
                    matchedEndpoint: .init(
                        endpointId: "pool", name: "pool", url: "http://a", methods: ["GET"], status: "active"),
                    relativePath: "x", wouldForwardTo: "http://b/x", upstream: "http://b",
                    upstreamsInRotation: ["http://b"]),
                RouteDebug(inputPath: "x", normalizedPath: "/x", error: "No matching endpoint found"),
            ]
        ),
        (
            "GET /snapshots 200",
            [
                SnapshotListing(
                    currentVersion: 7, snapshots: [Samples.snapshotSummary], totalCount: 1, nextCursor: "6"),
                SnapshotListing(currentVersion: 7, snapshots: [], totalCount: 0),
            ]
        ),
        ("POST /snapshots/{version}/rollback 200", [RollbackResult(message: "m", version: 8, restoredFrom: 6)]),
        (
            "GET /dataplanes 200",
            [
                DataPlaneListing(
                    currentVersion: 7, dataplanes: [Samples.replica], supervised: [Samples.supervised],
                    rollout: Samples.rollout, timestamp: Samples.time, nextCursor: "c:replica-1")
            ]
        ),
        ("POST /dataplanes/rollout request", [RolloutRequest(replicas: 2)]),
        ("#/components/schemas/ClusterStatus", [Samples.cluster, Samples.standaloneCluster]),
        ("#/components/schemas/ClusterLeader", [Samples.cluster.leader!]),
        ("#/components/schemas/ClusterMember", Samples.cluster.members),
        (
            "PUT /registry/endpoints request",
            [EndpointSetRequest(endpoints: [Samples.endpointConfig, Samples.poolEndpointConfig])]
        ),
        (
            "POST /registry/endpoints:batch request",
            [EndpointBatchRequest(upsert: [Samples.endpointConfig, Samples.poolEndpointConfig], remove: ["old"])]
        ),
        (
            "GET /health/status 200",
            [
                HealthStatusResponse(
                    systemStatus: "healthy", timestamp: Samples.time, summary: Samples.healthSummary,
                    circuitBreakerSummary: Samples.breakerSummary)
            ]
        ),
        ("GET /health/summary 200", [HealthSummaryResponse(summary: Samples.healthSummary, timestamp: Samples.time)]),
        (
            "GET /health/endpoints 200",
            [HealthRecordList(endpoints: [Samples.healthRecord], totalCount: 1, timestamp: Samples.time)]
        ),
        (
            "GET /health/endpoints/{id} 200",
            [
                TimestampedHealthRecord(record: Samples.healthRecord, timestamp: Samples.time),
                TimestampedHealthRecord(record: Samples.bareHealthRecord, timestamp: Samples.time),
            ]
        ),
        (
            "POST /health/check/{id} 200",
            [HealthCheckResult(message: "m", result: Samples.healthRecord, timestamp: Samples.time)]
        ),
        (
            "GET /health/unhealthy 200",
            [UnhealthyEndpoints(unhealthyEndpoints: [Samples.healthRecord], count: 1, timestamp: Samples.time)]
        ),
        (
            "GET /health/circuit-breakers 200",
            [
                BreakerListing(
                    summary: Samples.breakerSummary, circuitBreakers: [Samples.breakerEntry],
                    aggregate: [Samples.breakerAggregate], timestamp: Samples.time)
            ]
        ),
        (
            "GET /health/circuit-breakers/open 200",
            [OpenBreakerListing(openCircuitBreakers: [Samples.breakerEntry], count: 1, timestamp: Samples.time)]
        ),
        (
            "POST /health/circuit-breakers/{id}/reset 200",
            [BreakerResetResult(message: "m", endpointId: "orders", replicas: 2)]
        ),
    ]

    /// JSON schemas of the document that need no sample of their own, and why.
    static let exempt: [Location: String] = [
        "GET /openapi.json 200": "the document itself",
        "POST /registry/endpoints request": "EndpointConfigInput, bare or under `config`: checked as the component",
        "PUT /registry/endpoints/{id} request": "EndpointConfigInput, bare or under `config`: checked as the component",
    ]

    static let validationDetail = ValidationDetail(
        loc: ["body", "config", "url"], msg: "must be an http or https URL", field: "url", line: 3)
    static let validationError = ErrorBody(detail: .issues([validationDetail]))

    static let gatewayHealth = GatewayHealth(
        status: "healthy", timestamp: Samples.time, uptimeSeconds: 12, snapshotVersion: 7,
        configuration: .init(loaded: true, endpointsCount: 1, lastReloadOK: true),
        registry: .init(totalEndpoints: 1, activeEndpoints: 1, unhealthyEndpoints: 0),
        healthMonitoring: .init(enabled: true, monitoredEndpoints: 1, healthyEndpoints: 1, healthPercentage: 100))

    static let configStatus = ConfigStatus(
        loaded: true, version: "abc", configPath: "config/config.yaml", endpointsCount: 1,
        lastReloadError: "Configuration validation error: x", lastReloadErrors: [Samples.issue],
        lastReloadTime: Samples.time, watching: true, drift: Samples.drift, proxy: .defaults, tls: Samples.tls)

    static let bareConfigStatus = ConfigStatus(
        loaded: false, configPath: "config/config.yaml", endpointsCount: 0, lastReloadErrors: [], watching: true,
        proxy: .defaults, tls: Samples.bareTLS)

    @Test func everyJSONBodyOfTheDocumentHasSamples() throws {
        let document = try OpenAPISchemas()
        let covered = Set(Self.contract.map(\.0)).union(Self.exempt.keys)
        let uncovered = document.locations.subtracting(covered).sorted()
        #expect(uncovered.isEmpty, "openapi.json describes these bodies; add samples to the contract: \(uncovered)")
        let unknown = Set(Self.contract.map(\.0)).subtracting(document.locations).sorted()
        #expect(unknown.isEmpty, "the contract names schemas openapi.json does not have: \(unknown)")
    }

    @Test func theTypesSendWhatTheDocumentDescribes() throws {
        let document = try OpenAPISchemas()
        var problems: [String] = []
        for (location, samples) in Self.contract {
            guard let schema = document.schema(at: location) else { continue }
            var sent: Set<String> = []
            for sample in samples {
                let json = try JSONSerialization.jsonObject(with: JSONBody.encode(sample), options: .fragmentsAllowed)
                var check = SchemaCheck(document: document)
                check.compare(json, with: schema, at: "")
                problems += check.problems.map { "\(location), \(type(of: sample)): \($0)" }
                sent.formUnion(check.sent)
            }
            let documented = document.propertyPaths(of: schema)
            for path in documented.subtracting(sent).sorted() {
                problems.append("\(location): documents `\(path)`, which no sample sends")
            }
        }
        #expect(problems.isEmpty, "\n\(problems.joined(separator: "\n"))")
    }

    /// The checker itself finds a property the document lacks, one the type lacks, a `null` the
    /// document does not allow, and a missing required property.
    @Test func theCheckerFindsDrift() throws {
        let document = try OpenAPISchemas(
            json: #"""
                {"paths": {}, "components": {"schemas": {"Thing": {"type": "object",
                  "properties": {"a": {"type": "string"}, "b": {"type": "integer"}, "c": {"type": "string"}},
                  "required": ["a", "c"]}}}}
                """#)
        let schema = try #require(document.schema(at: "#/components/schemas/Thing"))
        var check = SchemaCheck(document: document)
        check.compare(["a": NSNull(), "b": 1, "d": true] as [String: Any], with: schema, at: "")
        #expect(
            Set(check.problems) == [
                "`a` is null, but the document does not say nullable",
                "the body sends `d`, which the document does not describe",
                "the body leaves out `c`, which the document requires",
            ])
        #expect(document.propertyPaths(of: schema).subtracting(check.sent) == ["c"])
    }
}
