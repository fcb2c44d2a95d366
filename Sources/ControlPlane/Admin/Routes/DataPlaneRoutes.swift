import AdminAPI
import Foundation
import Hummingbird
import Shared

/// `/dataplanes`: every replica with the snapshot version it acknowledged, and rollouts.
struct DataPlaneRoutes {
    let services: AdminServices

    func register(on router: Router<BasicRequestContext>) {
        router.get("dataplanes", use: list)
        router.get("dataplanes/rollout", use: rollout)
        router.post("dataplanes/rollout", use: startRollout)
    }

    /// Replicas connected first, then by id; `limit` (default and at most 1000) per page, `cursor`
    /// from the previous page's `next_cursor`.
    @Sendable func list(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<DataPlaneListing>
    {
        var issues: [ValidationIssue] = []
        let limit = QueryValue.int(
            request.uri.queryParameters["limit"], default: 1000, range: 1...1000, field: "limit", issues: &issues)
        let cursor = request.uri.queryParameters["cursor"].map(String.init)
        if let cursor, Self.position(cursor) == nil {
            issues.append(.init(field: "cursor", line: nil, message: "must be a next_cursor of an earlier page"))
        }
        if !issues.isEmpty { throw APIError(validation: ValidationError(issues), location: ["query"]) }
        let after = cursor.flatMap(Self.position)
        let rest = await services.publisher.statuses().filter { status in
            after.map { Self.position(of: status) > $0 } ?? true
        }
        let page = Array(rest.prefix(limit))
        return JSONResponse(
            DataPlaneListing(
                currentVersion: await services.registry.current.version,
                currentHealthSeq: await services.publisher.currentHealthSeq,
                dataplanes: page.map { DataPlaneReplica($0, controlPlane: services.nodeName) },
                supervised: services.supervisedReplicas().map(SupervisedReplica.init),
                rollout: RolloutProgress(services.supervisor?.rollout ?? RolloutStatus()),
                timestamp: Timestamp.string(),
                nextCursor: rest.count > limit ? page.last.map(Self.cursor) : nil))
    }

    /// Where a replica sorts in the listing: connected ones first, then by id.
    struct Position: Comparable {
        var disconnected: Int
        var replicaId: String

        static func < (lhs: Position, rhs: Position) -> Bool {
            (lhs.disconnected, lhs.replicaId) < (rhs.disconnected, rhs.replicaId)
        }
    }

    static func position(of status: ReplicaStatus) -> Position {
        Position(disconnected: status.connected ? 0 : 1, replicaId: status.replicaId)
    }

    /// `c:ID` or `d:ID`, after the replica's connection and id.
    static func cursor(_ status: ReplicaStatus) -> String {
        (status.connected ? "c:" : "d:") + status.replicaId
    }

    static func position(_ cursor: String) -> Position? {
        guard cursor.count > 2, cursor.hasPrefix("c:") || cursor.hasPrefix("d:") else { return nil }
        return Position(disconnected: cursor.hasPrefix("c:") ? 0 : 1, replicaId: String(cursor.dropFirst(2)))
    }

    @Sendable func rollout(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<
        RolloutProgress
    > {
        JSONResponse(RolloutProgress(services.supervisor?.rollout ?? RolloutStatus()))
    }

    /// `POST /dataplanes/rollout`, optional body `{"replicas": N}`: 202 with the rollout's status.
    @Sendable func startRollout(
        _ request: Request, context: BasicRequestContext
    ) async throws -> JSONResponse<RolloutProgress> {
        var request = request
        let buffer = try await request.collectBody(upTo: maximumAdminBodySize)
        var replicas: Int?
        if buffer.readableBytes > 0 {
            let data = Data(buffer.readableBytesView)
            guard (try? JSONSerialization.jsonObject(with: data)) is [String: Any] else {
                throw APIError(.badRequest, "Request body must be a JSON object such as {\"replicas\": 2}")
            }
            guard let body = try? JSONDecoder().decode(RolloutRequest.self, from: data),
                body.replicas.map({ (1...64).contains($0) }) ?? true
            else { throw APIError(.unprocessableContent, "replicas must be an integer between 1 and 64") }
            replicas = body.replicas
        }
        guard let supervisor = services.supervisor else { throw RolloutRefusal.notSupervising }
        return JSONResponse(RolloutProgress(try supervisor.startRollout(replicas: replicas)), status: .accepted)
    }
}
