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

    struct Root: Encodable, Sendable {
        var service = "Orchestrator API"
        var version = ControlPlaneVersion.string
        var description = "API gateway with authentication passthrough: control plane admin API"
        var endpoints: [String: String] = [
            "health": "/health", "configuration": "/config", "registry": "/registry", "routing": "/router",
            "health_monitoring": "/health", "orchestrator": "/orchestrator/{path} (data plane port)",
            "dataplanes": "/dataplanes", "snapshots": "/snapshots",
        ]
    }

    @Sendable func root(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<Root> {
        JSONResponse(Root())
    }

    struct Health: Encodable, Sendable {
        struct Configuration: Encodable, Sendable {
            var loaded: Bool
            var endpoints_count: Int
            var last_reload_ok: Bool
        }
        struct Registry: Encodable, Sendable {
            var total_endpoints: Int
            var active_endpoints: Int
            var unhealthy_endpoints: Int
        }
        struct Monitoring: Encodable, Sendable {
            var enabled: Bool
            var monitored_endpoints: Int
            var healthy_endpoints: Int
            var health_percentage: Double
        }
        var status: String
        var timestamp: String
        var uptime_s: Int
        var snapshot_version: Int
        var configuration: Configuration
        var registry: Registry
        var health_monitoring: Monitoring
    }

    /// The gateway's status in the words of `/health/status` (``HealthRoutes/systemStatus()``);
    /// 503 when the store cannot be read.
    @Sendable func health(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let details: [EndpointDetails]
        do {
            details = try await services.allDetails()
        } catch {
            return JSONBody.response(
                ["status": "unhealthy", "error": "store unavailable", "timestamp": Timestamp.string()],
                status: .serviceUnavailable)
        }
        let stats = RegistryRoutes.stats(details)
        let config = await services.config.config
        let reloadOK = await services.config.lastError == nil
        let monitored = details.filter { $0.health != EndpointHealth.unknown.rawValue }
        let healthy = monitored.filter { $0.health == EndpointHealth.healthy.rawValue }.count
        let body = Health(
            status: try await HealthRoutes(services: services).systemStatus(),
            timestamp: Timestamp.string(),
            uptime_s: Int(Date().timeIntervalSince(services.startedAt)),
            snapshot_version: await services.registry.current.version,
            configuration: .init(
                loaded: config != nil, endpoints_count: config?.endpoints.count ?? 0, last_reload_ok: reloadOK),
            registry: .init(
                total_endpoints: stats.total, active_endpoints: stats.active, unhealthy_endpoints: stats.unhealthy),
            health_monitoring: .init(
                enabled: (config?.healthCheck ?? .defaults).enabled, monitored_endpoints: monitored.count,
                healthy_endpoints: healthy,
                health_percentage: monitored.isEmpty ? 100 : Double(healthy) / Double(monitored.count) * 100))
        return JSONBody.response(body)
    }
}

/// The version the control plane reports.
package enum ControlPlaneVersion {
    package static let string = "0.1.0"
}
