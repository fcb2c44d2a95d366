import Foundation
import Shared

/// What `GET /status/data` answers and the status page shows.
struct StatusData: Encodable, Sendable {
    struct Replica: Encodable, Sendable {
        var replica_id: String
        var pid: Int
        var connected: Bool
        var acked_version: Int?
        var behind: Bool
        var draining: Bool
        var last_contact: String
        var last_report_age_seconds: Double?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(replica_id, forKey: .replica_id)
            try container.encode(pid, forKey: .pid)
            try container.encode(connected, forKey: .connected)
            try container.encode(acked_version, forKey: .acked_version)
            try container.encode(behind, forKey: .behind)
            try container.encode(draining, forKey: .draining)
            try container.encode(last_contact, forKey: .last_contact)
            try container.encode(last_report_age_seconds, forKey: .last_report_age_seconds)
        }

        enum CodingKeys: CodingKey {
            case replica_id, pid, connected, acked_version, behind, draining, last_contact, last_report_age_seconds
        }
    }

    struct Traffic: Encodable, Sendable {
        var requests: Int
        var requests_per_second: Double
        var error_rate: Double?
        var p99_seconds: Double?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(requests, forKey: .requests)
            try container.encode(requests_per_second, forKey: .requests_per_second)
            try container.encode(error_rate, forKey: .error_rate)
            try container.encode(p99_seconds, forKey: .p99_seconds)
        }

        enum CodingKeys: CodingKey { case requests, requests_per_second, error_rate, p99_seconds }
    }

    struct Endpoint: Encodable, Sendable {
        var name: String
        var status: String
        var health: String
        var breaker: String
        var open_in: [String]
        /// Nil until a replica reports traffic for the window.
        var traffic: Traffic?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(status, forKey: .status)
            try container.encode(health, forKey: .health)
            try container.encode(breaker, forKey: .breaker)
            try container.encode(open_in, forKey: .open_in)
            try container.encode(traffic, forKey: .traffic)
        }

        enum CodingKeys: CodingKey { case name, status, health, breaker, open_in, traffic }
    }

    struct Config: Encodable, Sendable {
        var path: String
        var loaded: Bool
        var last_reload_time: String?
        var ok: Bool
        var error: String?
        /// What replicas serve differs from the file (after a rollback): how, in one line.
        var drift: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(path, forKey: .path)
            try container.encode(loaded, forKey: .loaded)
            try container.encode(last_reload_time, forKey: .last_reload_time)
            try container.encode(ok, forKey: .ok)
            try container.encode(error, forKey: .error)
            try container.encode(drift, forKey: .drift)
        }

        enum CodingKeys: CodingKey { case path, loaded, last_reload_time, ok, error, drift }
    }

    var generated_at: String
    var current_version: Int
    var window_seconds: Double
    var replicas: [Replica]
    var endpoints: [Endpoint]
    var config: Config
}

extension StatusData {
    /// Gathers the page's data from the running control plane.
    static func gather(services: AdminServices, sampler: TrafficSampler) async throws -> StatusData {
        let now = Date()
        let replicas = await services.publisher.statuses().map { status in
            Replica(
                replica_id: status.replicaId, pid: status.pid, connected: status.connected,
                acked_version: status.ackedVersion, behind: status.behind, draining: status.draining,
                last_contact: status.lastContact,
                last_report_age_seconds: (try? Date(status.lastContact, strategy: .iso8601))
                    .map { max(0, now.timeIntervalSince($0)) })
        }
        let (window, rates) = await sampler.rates()
        let breakers = BreakerRoutes.aggregate(await services.breakerEntries())
        let endpoints = try await services.allDetails().map { details in
            let breaker = breakers.first { $0.endpoint_id == details.name }
            return Endpoint(
                name: details.name, status: details.status, health: details.health,
                breaker: breaker?.state ?? details.circuitBreakerState, open_in: breaker?.open_in ?? [],
                traffic: rates[details.name].map { rate in
                    Traffic(
                        requests: rate.requests, requests_per_second: rate.requestsPerSecond,
                        error_rate: rate.errorRate, p99_seconds: rate.p99Seconds)
                })
        }
        let source = services.config
        let error = await source.lastError
        return StatusData(
            generated_at: Timestamp.string(now), current_version: await services.registry.current.version,
            window_seconds: window, replicas: replicas, endpoints: endpoints,
            config: Config(
                path: source.path, loaded: await source.config != nil, last_reload_time: await source.lastReloadTime,
                ok: error == nil, error: error?.description, drift: try await services.configDrift()?.summary))
    }
}
