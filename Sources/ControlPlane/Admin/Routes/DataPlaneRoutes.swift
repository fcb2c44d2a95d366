import Foundation
import Hummingbird
import Shared

/// `/dataplanes`: every replica with the snapshot version it acknowledged.
struct DataPlaneRoutes {
    let services: AdminServices

    func register(on router: Router<BasicRequestContext>) {
        router.get("dataplanes", use: list)
    }

    struct Listing: Encodable, Sendable {
        var current_version: Int
        var dataplanes: [ReplicaStatus]
        var supervised: [ReplicaProcessStatus]
        var timestamp: String
    }

    @Sendable func list(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<Listing> {
        JSONResponse(
            Listing(
                current_version: await services.registry.current.version,
                dataplanes: await services.publisher.statuses(),
                supervised: services.supervisedReplicas(), timestamp: Timestamp.string()))
    }
}
