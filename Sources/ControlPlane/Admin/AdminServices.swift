import Foundation
import Hummingbird
import Logging
import Shared

/// What the admin routes work with.
package struct AdminServices: Sendable {
    package let registry: EndpointRegistry
    package let config: ConfigSource
    package let publisher: SnapshotPublisher
    package let store: any ConfigStore
    package let checker: HealthChecker
    package let startedAt: Date
    package let logger: Logger
    /// Replica processes the control plane started itself, for `/dataplanes`.
    package let supervisedReplicas: @Sendable () -> [ReplicaProcessStatus]
    /// The replica supervisor, for rollouts; `nil` when none was set up.
    package var supervisor: ReplicaSupervisor?
    /// Where backups are made before they are streamed (the data directory: same file system
    /// as the store); the temporary directory when unset.
    package var scratchDirectory: String = NSTemporaryDirectory()
    /// The TLS proxy address the replicas serve (`--proxy-tls-address`); `nil` without one.
    package var tlsListener: String?
    /// This control plane's name (`--node-name`), shown as each replica's `control_plane`.
    package var nodeName: String = "control-plane"
    /// The cluster this control plane belongs to, on a PostgreSQL store; `nil` on SQLite.
    package var cluster: ClusterView?
    /// The last minute of traffic the status page shows; ``TrafficSampling`` fills it.
    package var trafficSampler = TrafficSampler()

    package init(
        registry: EndpointRegistry, config: ConfigSource, publisher: SnapshotPublisher, store: any ConfigStore,
        checker: HealthChecker, startedAt: Date,
        logger: Logger, supervisedReplicas: @escaping @Sendable () -> [ReplicaProcessStatus] = { [] }
    ) {
        self.registry = registry
        self.config = config
        self.publisher = publisher
        self.store = store
        self.checker = checker
        self.startedAt = startedAt
        self.logger = logger
        self.supervisedReplicas = supervisedReplicas
    }
}

/// The largest request body the admin API reads.
let maximumAdminBodySize = 1024 * 1024

/// The largest body of a bulk change (`PUT /registry/endpoints`, `POST /registry/endpoints:batch`,
/// `POST /registry/import`): room for tens of thousands of endpoints.
let maximumBulkBodySize = 8 * 1024 * 1024

extension Request {
    /// The body parsed as JSON into a node tree; 400 when it is not JSON, 413 when too large.
    func jsonBody(upTo limit: Int = maximumAdminBodySize) async throws -> ConfigNode {
        var request = self
        let buffer = try await request.collectBody(upTo: limit)
        guard buffer.readableBytes > 0 else { throw APIError(.badRequest, "Request body is empty; send a JSON object") }
        do {
            return try ConfigNode.parseJSON(Data(buffer.readableBytesView))
        } catch {
            throw APIError(.badRequest, "Request body is not valid JSON: \(error.issues.first?.message ?? "")")
        }
    }

    /// The body as UTF-8 text (a YAML document); 413 when too large.
    func textBody(upTo limit: Int = maximumAdminBodySize) async throws -> String {
        var request = self
        let buffer = try await request.collectBody(upTo: limit)
        guard let text = String(validating: buffer.readableBytesView, as: UTF8.self) else {
            throw APIError(.badRequest, "Request body must be UTF-8 text")
        }
        return text
    }
}
