import Hummingbird
import Shared

/// `GET /metrics`: Prometheus text exposition of the control plane's own metrics and of every
/// replica's reported traffic, all kept in one registry (``GatewayMetrics``). Token-protected
/// like every admin route.
struct MetricsRoutes {
    let services: AdminServices
    let metrics = GatewayMetrics()

    func register(on router: Router<BasicRequestContext>) {
        router.get("/metrics") { _, _ in try await exposition() }
    }

    func exposition() async throws -> Response {
        let config = services.config
        let publisher = services.publisher
        let snapshot = await services.registry.current
        let probed = Set(snapshot.endpoints.filter { $0.healthCheck.enabled && !$0.config.disabled }.map(\.name))
        var health: [(endpoint: String, healthy: Bool)] = []
        for record in await services.checker.allRecords() where probed.contains(record.endpointId) {
            health.append((record.endpointId, await services.registry.healthOf(record.endpointId) == .healthy))
        }
        let input = GatewayMetrics.Input(
            startedAt: services.startedAt,
            reloads: await (ok: config.reloadsSucceeded, failed: config.reloadsFailed),
            currentVersion: snapshot.version, replicas: await publisher.statuses(),
            traffic: await publisher.trafficReports(), breakers: await publisher.breakerReports(),
            nacks: await publisher.nackCounts(), endpoints: snapshot.endpoints.map(\.name), health: health,
            features: TrafficFeatures(snapshot, upstreamHealth: await services.checker.allUpstreamHealth()))
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: metrics.scrape(input))))
    }
}
