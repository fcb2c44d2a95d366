import AdminAPI
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

    /// Open if any of `states` is, else half-open if any is, else closed.
    static func worst(_ states: some Sequence<String>) -> String {
        let states = Set(states)
        return states.contains("open") ? "open" : states.contains("half_open") ? "half_open" : "closed"
    }

    static func aggregate(_ entries: [BreakerEntry]) -> [BreakerAggregate] {
        Dictionary(grouping: entries, by: \.endpointId).map { endpoint, entries in
            let state = worst(entries.map(\.state))
            return BreakerAggregate(
                endpointId: endpoint, state: state, replicas: entries.count,
                openIn: entries.filter { $0.state == "open" }.map(\.replicaId))
        }.sorted { $0.endpointId < $1.endpointId }
    }

    static func summary(_ aggregate: [BreakerAggregate]) -> BreakerSummary {
        var summary = BreakerSummary()
        summary.totalCircuitBreakers = aggregate.count
        summary.openBreakers = aggregate.filter { $0.state == "open" }.count
        summary.halfOpenBreakers = aggregate.filter { $0.state == "half_open" }.count
        summary.closedBreakers = aggregate.count - summary.openBreakers - summary.halfOpenBreakers
        summary.healthPercentage =
            aggregate.isEmpty ? 100 : Double(summary.closedBreakers) / Double(aggregate.count) * 100
        return summary
    }

    @Sendable func list(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<BreakerListing> {
        let entries = await services.breakerEntries()
        let aggregate = Self.aggregate(entries)
        return JSONResponse(
            BreakerListing(
                summary: Self.summary(aggregate), circuitBreakers: entries, aggregate: aggregate,
                timestamp: Timestamp.string()))
    }

    @Sendable func open(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<
        OpenBreakerListing
    > {
        let entries = await services.breakerEntries().filter { $0.state == "open" }
        return JSONResponse(
            OpenBreakerListing(openCircuitBreakers: entries, count: entries.count, timestamp: Timestamp.string()))
    }

    /// Closes the endpoint's breaker in every connected replica.
    @Sendable func reset(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<
        BreakerResetResult
    > {
        let id = try context.parameters.require("id")
        guard await services.registry.current.endpoints.contains(where: { $0.name == id }) else {
            throw APIError(.notFound, "Endpoint not found: \(id)")
        }
        let count = await services.publisher.resetBreaker(endpoint: id)
        return JSONResponse(
            BreakerResetResult(
                message: "Circuit breaker of \(id) reset in \(count) replica(s)", endpointId: id, replicas: count))
    }
}

extension AdminServices {
    func breakerEntries() async -> [BreakerEntry] {
        await publisher.breakerReports().map { BreakerEntry(replicaId: $0.replicaId, $0.breaker) }
    }

    /// The endpoint's breaker state across replicas (`closed` when none reported it).
    func breakerState(_ endpoint: String) async -> String {
        BreakerRoutes.aggregate(await breakerEntries().filter { $0.endpointId == endpoint }).first?.state ?? "closed"
    }

    /// Every reported endpoint's breaker state across replicas.
    func breakerStates() async -> [String: String] {
        Dictionary(
            uniqueKeysWithValues: BreakerRoutes.aggregate(await breakerEntries()).map { ($0.endpointId, $0.state) })
    }
}

extension BreakerEntry {
    /// One breaker a replica reported.
    init(replicaId: String, _ report: BreakerReport) {
        self.init(
            replicaId: replicaId, endpointId: report.endpoint, state: report.state, failureCount: report.failureCount,
            lastFailureTime: report.lastFailureTime, lastSuccessTime: report.lastSuccessTime,
            stateChangedTime: report.stateChangedTime, halfOpenCalls: report.halfOpenCalls, rejected: report.rejected,
            transitions: report.transitions,
            config: Config(
                failureThreshold: report.failureThreshold, resetTimeout: report.resetTimeout,
                halfOpenMaxCalls: report.halfOpenMaxCalls),
            upstreams: report.upstreams)
    }
}
