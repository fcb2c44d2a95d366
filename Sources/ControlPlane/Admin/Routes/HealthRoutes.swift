import AdminAPI
import Foundation
import Hummingbird
import Shared

/// `/health/*`: the original's health-monitoring API over the control plane's prober.
struct HealthRoutes {
    let services: AdminServices
    var checker: HealthChecker { services.checker }

    func register(on router: Router<BasicRequestContext>) {
        let group = router.group("health")
        group.get("status", use: status)
        group.get("summary", use: summary)
        group.get("endpoints", use: endpoints)
        group.get("endpoints/:id", use: endpoint)
        group.post("check/:id", use: check)
        group.get("unhealthy", use: unhealthy)
    }

    /// Unknown endpoints (not yet decided by the thresholds) count as not unhealthy.
    func makeSummary() async throws -> HealthSummary {
        let records = await checker.allRecords()
        let policy = try await services.store.readTransaction { db in try GlobalPolicies.load(db) }.healthCheck
        let healthy = records.filter { $0.status == "active" }.count
        let unhealthy = records.filter { $0.status == "unhealthy" }.count
        let times = records.compactMap(\.responseTime)
        return HealthSummary(
            totalEndpoints: records.count, healthyEndpoints: healthy, unhealthyEndpoints: unhealthy,
            unknownEndpoints: records.count - healthy - unhealthy,
            healthPercentage: records.isEmpty ? 100 : Double(records.count - unhealthy) / Double(records.count) * 100,
            averageResponseTime: times.isEmpty ? 0 : times.reduce(0, +) / Double(times.count),
            lastCheckTime: records.map(\.lastCheckTime).max(),
            config: HealthCheckPolicyView(
                enabled: policy.enabled, interval: policy.interval, timeout: policy.timeout,
                unhealthyThreshold: policy.unhealthyThreshold, healthyThreshold: policy.healthyThreshold))
    }

    @Sendable func status(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<
        HealthStatusResponse
    > {
        let summary = try await makeSummary()
        let breakers = BreakerRoutes.summary(BreakerRoutes.aggregate(await services.breakerEntries()))
        let system = Self.systemStatus(
            healthPercentage: summary.healthPercentage, breakerPercentage: breakers.healthPercentage,
            reloadFailed: await services.config.lastError != nil)
        return JSONResponse(
            HealthStatusResponse(
                systemStatus: system, timestamp: Timestamp.string(), summary: summary,
                circuitBreakerSummary: breakers))
    }

    /// The one word `/health` and `/health/status` both answer: `healthy` when at least 90 % of
    /// the probed endpoints and of the breakers are fine, `degraded` from 70 %, else `unhealthy`;
    /// a failed config reload makes a healthy gateway `degraded`.
    static func systemStatus(healthPercentage: Double, breakerPercentage: Double, reloadFailed: Bool) -> String {
        let overall = min(healthPercentage, breakerPercentage)
        let word = overall >= 90 ? "healthy" : overall >= 70 ? "degraded" : "unhealthy"
        return reloadFailed && word == "healthy" ? "degraded" : word
    }

    /// ``systemStatus(healthPercentage:breakerPercentage:reloadFailed:)`` of the running gateway.
    func systemStatus() async throws -> String {
        let summary = try await makeSummary()
        let breakers = BreakerRoutes.summary(BreakerRoutes.aggregate(await services.breakerEntries()))
        return Self.systemStatus(
            healthPercentage: summary.healthPercentage, breakerPercentage: breakers.healthPercentage,
            reloadFailed: await services.config.lastError != nil)
    }

    @Sendable func summary(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<
        HealthSummaryResponse
    > {
        JSONResponse(HealthSummaryResponse(summary: try await makeSummary(), timestamp: Timestamp.string()))
    }

    @Sendable func endpoints(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<
        HealthRecordList
    > {
        let records = await checker.allRecords()
        return JSONResponse(
            HealthRecordList(endpoints: records, totalCount: records.count, timestamp: Timestamp.string()))
    }

    @Sendable func endpoint(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<
        TimestampedHealthRecord
    > {
        let id = try context.parameters.require("id")
        guard let record = await checker.record(id) else {
            throw APIError(.notFound, "Health data not found for endpoint: \(id)")
        }
        return JSONResponse(TimestampedHealthRecord(record: record, timestamp: Timestamp.string()))
    }

    /// Probes now; the result counts towards the thresholds like a scheduled probe.
    @Sendable func check(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<
        HealthCheckResult
    > {
        let id = try context.parameters.require("id")
        guard let endpoint = await services.registry.current.endpoints.first(where: { $0.name == id }) else {
            throw APIError(.notFound, "Endpoint not found: \(id)")
        }
        let record = await checker.probe(endpoint)
        return JSONResponse(
            HealthCheckResult(
                message: "Health check completed for \(id)", result: record, timestamp: Timestamp.string()))
    }

    @Sendable func unhealthy(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<
        UnhealthyEndpoints
    > {
        let records = await checker.allRecords().filter { $0.status == "unhealthy" }
        return JSONResponse(
            UnhealthyEndpoints(unhealthyEndpoints: records, count: records.count, timestamp: Timestamp.string()))
    }
}
