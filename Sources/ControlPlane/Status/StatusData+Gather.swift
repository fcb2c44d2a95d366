import AdminAPI
import Foundation
import Shared

extension StatusData {
    /// Gathers the page's data from the running control plane.
    static func gather(services: AdminServices, sampler: TrafficSampler) async throws -> StatusData {
        let now = Date()
        let replicas = await services.publisher.statuses().map { status in
            Replica(
                replicaId: status.replicaId, pid: status.pid, connected: status.connected,
                ackedVersion: status.ackedVersion, behind: status.behind, draining: status.draining,
                lastContact: status.lastContact,
                lastReportAgeSeconds: (try? Date(status.lastContact, strategy: .iso8601))
                    .map { max(0, now.timeIntervalSince($0)) })
        }
        let (window, rates) = await sampler.rates()
        let breakers = BreakerRoutes.aggregate(await services.breakerEntries())
        let endpoints = try await services.allDetails().map { details in
            let breaker = breakers.first { $0.endpointId == details.name }
            return Endpoint(
                name: details.name, status: details.status, health: details.health,
                breaker: breaker?.state ?? details.circuitBreakerState, openIn: breaker?.openIn ?? [],
                traffic: rates[details.name].map { rate in
                    Traffic(
                        requests: rate.requests, requestsPerSecond: rate.requestsPerSecond,
                        errorRate: rate.errorRate, p99Seconds: rate.p99Seconds)
                })
        }
        let source = services.config
        let error = await source.lastError
        return StatusData(
            generatedAt: Timestamp.string(now), currentVersion: await services.registry.current.version,
            windowSeconds: window, replicas: replicas, endpoints: endpoints,
            config: Config(
                path: source.path, loaded: await source.config != nil, lastReloadTime: await source.lastReloadTime,
                ok: error == nil, error: error?.description, drift: try await services.configDrift()?.summary))
    }
}
