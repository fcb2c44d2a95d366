import AdminAPI
import Foundation
import Hummingbird
import Shared

/// `/` (service description) and `/health` (liveness, no token needed).
struct RootRoutes {
    let services: AdminServices

    func register(on router: Router<BasicRequestContext>) {
        router.get("/", use: root)
        router.get("health", use: health)
    }

    /// Where each route group lives.
    static let routeGroups = [
        "health": "/health", "configuration": "/config", "registry": "/registry", "routing": "/router",
        "health_monitoring": "/health", "orchestrator": "/orchestrator/{path} (data plane port)",
        "dataplanes": "/dataplanes", "snapshots": "/snapshots",
    ]

    @Sendable func root(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<
        ServiceDescription
    > {
        JSONResponse(ServiceDescription(version: ControlPlaneVersion.string, endpoints: Self.routeGroups))
    }

    /// The gateway's status in the words of `/health/status` (``HealthRoutes/systemStatus()``);
    /// 503 when the store cannot be read.
    @Sendable func health(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let details: [EndpointDetails]
        do {
            details = try await services.allDetails()
        } catch {
            return JSONBody.response(
                GatewayHealthFailure(error: "store unavailable", timestamp: Timestamp.string()),
                status: .serviceUnavailable)
        }
        let stats = RegistryRoutes.stats(details)
        let config = await services.config.config
        let reloadOK = await services.config.lastError == nil
        let monitored = details.filter { $0.health != EndpointHealth.unknown.rawValue }
        let healthy = monitored.filter { $0.health == EndpointHealth.healthy.rawValue }.count
        let body = GatewayHealth(
            status: try await HealthRoutes(services: services).systemStatus(),
            timestamp: Timestamp.string(),
            uptimeSeconds: Int(Date().timeIntervalSince(services.startedAt)),
            snapshotVersion: await services.registry.current.version,
            configuration: .init(
                loaded: config != nil, endpointsCount: config?.endpoints.count ?? 0, lastReloadOK: reloadOK),
            registry: .init(
                totalEndpoints: stats.total, activeEndpoints: stats.active, unhealthyEndpoints: stats.unhealthy),
            healthMonitoring: .init(
                enabled: (config?.healthCheck ?? .defaults).enabled, monitoredEndpoints: monitored.count,
                healthyEndpoints: healthy,
                healthPercentage: monitored.isEmpty ? 100 : Double(healthy) / Double(monitored.count) * 100))
        return JSONBody.response(body)
    }
}

/// The version the control plane reports.
package enum ControlPlaneVersion {
    package static let string = ProductVersion.string
}
