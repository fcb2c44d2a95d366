import AdminAPI
import ArgumentParser
import Foundation

/// `orchctl status`: one screen that answers "is my gateway OK?".
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the control plane, every data-plane replica and every endpoint on one screen.",
        discussion:
            "Replicas are marked 'behind' when they have not acknowledged the current snapshot, 'NACK' with"
            + " the reason when their last answer was a rejection, and 'gone' when their connection closed."
            + " The Timeouts and Limits lines are the proxy limits every replica applies (the config file's"
            + " proxy: section). The TLS line is the TLS listener (--proxy-tls-address); Certificates lists"
            + " each certificate of the tls: section with its subject, names and expiry, and warns when one"
            + " expires within 14 days or cannot be read. On a PostgreSQL store, Cluster lists the control planes sharing"
            + " it with their last heartbeat, and which one leads under which epoch. With --output json the answers"
            + " (/, /health, /config/status, /dataplanes, /registry/endpoints, /cluster) are printed under the keys"
            + " service, health, config, dataplanes, endpoints and cluster.")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let report = try await AdminClient.with(global) { client in
            async let service = client.fetch(ServiceDescription.self, "/", action: "read the service description")
            async let health = client.fetch(GatewayHealth.self, "/health", action: "read /health")
            async let config = client.fetch(ConfigStatus.self, "/config/status", action: "read /config/status")
            async let dataplanes = client.fetch(DataPlaneListing.self, "/dataplanes", action: "list replicas")
            async let endpoints = client.fetch(
                EndpointList.self, "/registry/endpoints?limit=1000", action: "list endpoints")
            // Control planes before the cluster existed answer 404: shown as nothing.
            async let cluster = try? client.fetch(ClusterStatus.self, "/cluster", action: "read /cluster")
            return StatusReport(
                adminURL: client.baseURL, service: try await service, health: try await health,
                config: try await config, dataplanes: try await dataplanes, endpoints: try await endpoints,
                cluster: await cluster)
        }
        Printer(global).show(report.json) { StatusRendering.render(report, $0) }
    }
}

/// What `orchctl status` gathered.
struct StatusReport: Sendable {
    var adminURL: String
    var service: Fetched<ServiceDescription>
    var health: Fetched<GatewayHealth>
    var config: Fetched<ConfigStatus>
    var dataplanes: Fetched<DataPlaneListing>
    var endpoints: Fetched<EndpointList>
    /// `/cluster`, when the control plane answers it.
    var cluster: Fetched<ClusterStatus>?

    /// The answers as one JSON object, each verbatim.
    var json: Data {
        JSONPrinter.object(
            [
                ("service", service.raw), ("health", health.raw), ("config", config.raw),
                ("dataplanes", dataplanes.raw), ("endpoints", endpoints.raw),
            ] + (cluster.map { [("cluster", $0.raw)] } ?? []))
    }
}
