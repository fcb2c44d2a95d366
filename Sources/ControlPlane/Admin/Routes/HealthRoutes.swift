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

    struct PolicyView: Encodable, Sendable {
        var enabled: Bool
        var interval: Double
        var timeout: Double
        var unhealthy_threshold: Int
        var healthy_threshold: Int
    }

    struct Summary: Encodable, Sendable {
        var total_endpoints: Int
        var healthy_endpoints: Int
        var unhealthy_endpoints: Int
        var unknown_endpoints: Int
        var health_percentage: Double
        var average_response_time: Double
        var last_check_time: String?
        var config: PolicyView

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(total_endpoints, forKey: .total_endpoints)
            try container.encode(healthy_endpoints, forKey: .healthy_endpoints)
            try container.encode(unhealthy_endpoints, forKey: .unhealthy_endpoints)
            try container.encode(unknown_endpoints, forKey: .unknown_endpoints)
            try container.encode(health_percentage, forKey: .health_percentage)
            try container.encode(average_response_time, forKey: .average_response_time)
            try container.encode(last_check_time, forKey: .last_check_time)
            try container.encode(config, forKey: .config)
        }

        enum CodingKeys: CodingKey {
            case total_endpoints, healthy_endpoints, unhealthy_endpoints, unknown_endpoints, health_percentage
            case average_response_time, last_check_time, config
        }
    }

    /// Breakers by endpoint, aggregated over replicas (see ``BreakerRoutes``).
    struct BreakerSummary: Encodable, Sendable {
        var total_circuit_breakers = 0
        var open_breakers = 0
        var half_open_breakers = 0
        var closed_breakers = 0
        var health_percentage: Double = 100
    }

    /// Unknown endpoints (not yet decided by the thresholds) count as not unhealthy.
    func makeSummary() async throws -> Summary {
        let records = await checker.allRecords()
        let policy = try await services.store.read { db in try GlobalPolicies.load(db) }.healthCheck
        let healthy = records.filter { $0.status == "active" }.count
        let unhealthy = records.filter { $0.status == "unhealthy" }.count
        let times = records.compactMap(\.responseTime)
        return Summary(
            total_endpoints: records.count, healthy_endpoints: healthy, unhealthy_endpoints: unhealthy,
            unknown_endpoints: records.count - healthy - unhealthy,
            health_percentage: records.isEmpty ? 100 : Double(records.count - unhealthy) / Double(records.count) * 100,
            average_response_time: times.isEmpty ? 0 : times.reduce(0, +) / Double(times.count),
            last_check_time: records.map(\.lastCheckTime).max(),
            config: PolicyView(
                enabled: policy.enabled, interval: policy.interval, timeout: policy.timeout,
                unhealthy_threshold: policy.unhealthyThreshold, healthy_threshold: policy.healthyThreshold))
    }

    struct Status: Encodable, Sendable {
        var system_status: String
        var timestamp: String
        var summary: Summary
        var circuit_breaker_summary: BreakerSummary
    }

    @Sendable func status(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<Status> {
        let summary = try await makeSummary()
        let breakers = BreakerRoutes.summary(BreakerRoutes.aggregate(await services.breakerEntries()))
        let system = Self.systemStatus(
            healthPercentage: summary.health_percentage, breakerPercentage: breakers.health_percentage,
            reloadFailed: await services.config.lastError != nil)
        return JSONResponse(
            Status(
                system_status: system, timestamp: Timestamp.string(), summary: summary,
                circuit_breaker_summary: breakers))
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
            healthPercentage: summary.health_percentage, breakerPercentage: breakers.health_percentage,
            reloadFailed: await services.config.lastError != nil)
    }

    struct SummaryResponse: Encodable, Sendable {
        var summary: Summary
        var timestamp: String
    }

    @Sendable func summary(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<
        SummaryResponse
    > {
        JSONResponse(SummaryResponse(summary: try await makeSummary(), timestamp: Timestamp.string()))
    }

    struct Records: Encodable, Sendable {
        var endpoints: [HealthRecord]
        var total_count: Int
        var timestamp: String
    }

    @Sendable func endpoints(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<Records> {
        let records = await checker.allRecords()
        return JSONResponse(Records(endpoints: records, total_count: records.count, timestamp: Timestamp.string()))
    }

    struct RecordResponse: Encodable, Sendable {
        var record: HealthRecord
        var timestamp: String

        func encode(to encoder: any Encoder) throws {
            try record.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(timestamp, forKey: .timestamp)
        }

        enum CodingKeys: CodingKey { case timestamp }
    }

    @Sendable func endpoint(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<
        RecordResponse
    > {
        let id = try context.parameters.require("id")
        guard let record = await checker.record(id) else {
            throw APIError(.notFound, "Health data not found for endpoint: \(id)")
        }
        return JSONResponse(RecordResponse(record: record, timestamp: Timestamp.string()))
    }

    struct Checked: Encodable, Sendable {
        var success = true
        var message: String
        var result: HealthRecord
        var timestamp: String
    }

    /// Probes now; the result counts towards the thresholds like a scheduled probe.
    @Sendable func check(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<Checked> {
        let id = try context.parameters.require("id")
        guard let endpoint = await services.registry.current.endpoints.first(where: { $0.name == id }) else {
            throw APIError(.notFound, "Endpoint not found: \(id)")
        }
        let record = await checker.probe(endpoint)
        return JSONResponse(
            Checked(message: "Health check completed for \(id)", result: record, timestamp: Timestamp.string()))
    }

    struct Unhealthy: Encodable, Sendable {
        var unhealthy_endpoints: [HealthRecord]
        var count: Int
        var timestamp: String
    }

    @Sendable func unhealthy(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<Unhealthy> {
        let records = await checker.allRecords().filter { $0.status == "unhealthy" }
        return JSONResponse(
            Unhealthy(unhealthy_endpoints: records, count: records.count, timestamp: Timestamp.string()))
    }
}
