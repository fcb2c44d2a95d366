import AdminAPI
import Hummingbird

/// `GET /cluster`: the control planes sharing the store, their heartbeats, the leader and its epoch.
struct ClusterRoutes {
    let services: AdminServices

    func register(on router: Router<BasicRequestContext>) {
        router.get("cluster", use: status)
    }

    /// On SQLite: this control plane alone, leading, with no lease. 503 when the database does
    /// not answer.
    @Sendable func status(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<ClusterStatus>
    {
        let version = await services.registry.current.version
        guard let cluster = services.cluster else {
            return JSONResponse(
                ClusterStatus(
                    store: "sqlite", node: services.nodeName, role: "leader", leader: nil, members: [],
                    currentVersion: version))
        }
        do {
            return JSONResponse(
                try await TimeLimit.within(.seconds(5)) {
                    try await cluster.status(node: services.nodeName, currentVersion: version)
                })
        } catch {
            throw StoreUnavailable(reason: "\(error)")
        }
    }
}
