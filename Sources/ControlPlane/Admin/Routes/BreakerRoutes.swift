import Foundation
import Hummingbird
import Shared

/// `/health/circuit-breakers*`: breakers live in the replicas (state is where the traffic is);
/// each entry carries its replica, and `aggregate` has one line per endpoint (open if open in any
/// replica, else half-open if half-open in any, else closed).
struct BreakerRoutes {
    let services: AdminServices

    func register(on router: Router<BasicRequestContext>) {
        let group = router.group("health/circuit-breakers")
        group.get("", use: list)
        group.get("open", use: open)
        group.post(":id/reset", use: reset)
    }

    struct Entry: Encodable, Sendable {
        var replica_id: String
        var endpoint_id: String
        var state: String
        var failure_count: Int
        var last_failure_time: String?
        var last_success_time: String?
        var state_changed_time: String
        var half_open_calls: Int
        var rejected: Int
        var transitions: Int
        var config: Config

        struct Config: Encodable, Sendable {
            var failure_threshold: Int
            var reset_timeout: Double
            var half_open_max_calls: Int
            var fallback_strategy = "error_response"
        }

        init(replicaId: String, _ report: BreakerReport) {
            replica_id = replicaId
            endpoint_id = report.endpoint
            state = report.state
            failure_count = report.failureCount
            last_failure_time = report.lastFailureTime
            last_success_time = report.lastSuccessTime
            state_changed_time = report.stateChangedTime
            half_open_calls = report.halfOpenCalls
            rejected = report.rejected
            transitions = report.transitions
            config = Config(
                failure_threshold: report.failureThreshold, reset_timeout: report.resetTimeout,
                half_open_max_calls: report.halfOpenMaxCalls)
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(replica_id, forKey: .replica_id)
            try container.encode(endpoint_id, forKey: .endpoint_id)
            try container.encode(state, forKey: .state)
            try container.encode(failure_count, forKey: .failure_count)
            try container.encode(last_failure_time, forKey: .last_failure_time)
            try container.encode(last_success_time, forKey: .last_success_time)
            try container.encode(state_changed_time, forKey: .state_changed_time)
            try container.encode(half_open_calls, forKey: .half_open_calls)
            try container.encode(rejected, forKey: .rejected)
            try container.encode(transitions, forKey: .transitions)
            try container.encode(config, forKey: .config)
        }

        enum CodingKeys: CodingKey {
            case replica_id, endpoint_id, state, failure_count, last_failure_time, last_success_time
            case state_changed_time, half_open_calls, rejected, transitions, config
        }
    }

    struct Aggregate: Encodable, Sendable {
        var endpoint_id: String
        var state: String
        var replicas: Int
        var open_in: [String]
    }

    struct Listing: Encodable, Sendable {
        var summary: HealthRoutes.BreakerSummary
        var circuit_breakers: [Entry]
        var aggregate: [Aggregate]
        var timestamp: String
    }

    static func aggregate(_ entries: [Entry]) -> [Aggregate] {
        Dictionary(grouping: entries, by: \.endpoint_id).map { endpoint, entries in
            let states = Set(entries.map(\.state))
            let state = states.contains("open") ? "open" : states.contains("half_open") ? "half_open" : "closed"
            return Aggregate(
                endpoint_id: endpoint, state: state, replicas: entries.count,
                open_in: entries.filter { $0.state == "open" }.map(\.replica_id))
        }.sorted { $0.endpoint_id < $1.endpoint_id }
    }

    static func summary(_ aggregate: [Aggregate]) -> HealthRoutes.BreakerSummary {
        var summary = HealthRoutes.BreakerSummary()
        summary.total_circuit_breakers = aggregate.count
        summary.open_breakers = aggregate.filter { $0.state == "open" }.count
        summary.half_open_breakers = aggregate.filter { $0.state == "half_open" }.count
        summary.closed_breakers = aggregate.count - summary.open_breakers - summary.half_open_breakers
        summary.health_percentage =
            aggregate.isEmpty ? 100 : Double(summary.closed_breakers) / Double(aggregate.count) * 100
        return summary
    }

    @Sendable func list(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<Listing> {
        let entries = await services.breakerEntries()
        let aggregate = Self.aggregate(entries)
        return JSONResponse(
            Listing(
                summary: Self.summary(aggregate), circuit_breakers: entries, aggregate: aggregate,
                timestamp: Timestamp.string()))
    }

    struct OpenListing: Encodable, Sendable {
        var open_circuit_breakers: [Entry]
        var count: Int
        var timestamp: String
    }

    @Sendable func open(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<OpenListing> {
        let entries = await services.breakerEntries().filter { $0.state == "open" }
        return JSONResponse(
            OpenListing(open_circuit_breakers: entries, count: entries.count, timestamp: Timestamp.string()))
    }

    struct Reset: Encodable, Sendable {
        var success = true
        var message: String
        var endpoint_id: String
        var replicas: Int
    }

    /// Closes the endpoint's breaker in every connected replica.
    @Sendable func reset(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<Reset> {
        let id = try context.parameters.require("id")
        guard await services.registry.current.endpoints.contains(where: { $0.name == id }) else {
            throw APIError(.notFound, "Endpoint not found: \(id)")
        }
        let count = await services.publisher.resetBreaker(endpoint: id)
        return JSONResponse(
            Reset(message: "Circuit breaker of \(id) reset in \(count) replica(s)", endpoint_id: id, replicas: count))
    }
}

extension AdminServices {
    func breakerEntries() async -> [BreakerRoutes.Entry] {
        await publisher.breakerReports().map { BreakerRoutes.Entry(replicaId: $0.replicaId, $0.breaker) }
    }

    /// The endpoint's breaker state across replicas (`closed` when none reported it).
    func breakerState(_ endpoint: String) async -> String {
        BreakerRoutes.aggregate(await breakerEntries().filter { $0.endpoint_id == endpoint }).first?.state ?? "closed"
    }
}
