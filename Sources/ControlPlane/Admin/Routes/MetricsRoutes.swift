import Hummingbird
import Shared

/// `GET /metrics`: Prometheus text exposition of the control plane's own metrics and of every
/// replica's reported traffic. Token-protected like every admin route.
struct MetricsRoutes {
    let services: AdminServices
    let metrics = ControlPlaneMetrics()

    func register(on router: Router<BasicRequestContext>) {
        router.get("/metrics") { _, _ in try await exposition() }
    }

    func exposition() async throws -> Response {
        let config = services.config
        let reloads = await (ok: config.reloadsSucceeded, failed: config.reloadsFailed)
        let publisher = services.publisher
        let statuses = await publisher.statuses()
        let replicas = ReplicaMetrics(
            traffic: await publisher.trafficReports(), statuses: statuses, breakers: await publisher.breakerReports(),
            health: await services.checker.allRecords().map {
                ($0.endpointId, $0.status == EndpointHealth.healthy.rawValue)
            })
        metrics.update(startedAt: services.startedAt, reloads: reloads, nacks: await publisher.nackCounts())
        let body = metrics.render() + replicas.render()
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
