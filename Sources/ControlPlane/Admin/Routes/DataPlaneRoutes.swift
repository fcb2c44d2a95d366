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

    @Sendable func list(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<DataPlaneListing>
    {
        JSONResponse(
            DataPlaneListing(
                currentVersion: await services.registry.current.version,
                currentHealthSeq: await services.publisher.currentHealthSeq,
                dataplanes: await services.publisher.statuses().map(DataPlaneReplica.init),
                supervised: services.supervisedReplicas().map(SupervisedReplica.init),
                rollout: RolloutProgress(services.supervisor?.rollout ?? RolloutStatus()), timestamp: Timestamp.string()
            ))
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
