import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Shared

/// Shares the leader's probe results with the other control planes of the cluster, which probe
/// nothing themselves: each ``interval``, the leader stores them as one document when they
/// changed (fenced by its epoch), and a follower reads the document when its `seq` moved and
/// sends its replicas what changed.
package final class ClusterHealthShare: Service, Sendable {
    let client: PostgresClient
    let election: LeaderElection
    let registry: EndpointRegistry
    let interval: Duration
    let logger: Logger

    package init(
        client: PostgresClient, election: LeaderElection, registry: EndpointRegistry,
        interval: Duration = .seconds(1), logger: Logger
    ) {
        self.client = client
        self.election = election
        self.registry = registry
        self.interval = interval
        self.logger = logger
    }

    package func run() async throws {
        try? await cancelWhenGracefulShutdown { [self] in
            var written: ProbedHealth?
            var read: Int64?
            while !Task.isCancelled {
                do {
                    (written, read) = try await TimeLimit.within(interval * 5) { [self, written, read] in
                        try await step(written: written, read: read)
                    }
                } catch is CancellationError {
                    return
                } catch {
                    logger.warning("cannot share health with the cluster", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: interval)
            }
        }
    }

    /// Stores or reads the document once; answers what was last written and last read.
    private func step(written: ProbedHealth?, read: Int64?) async throws -> (ProbedHealth?, Int64?) {
        if case .leader(let epoch) = election.role {
            let probed = await registry.probedHealth()
            if probed != written { try await store(probed, epoch: epoch) }
            return (probed, nil)
        }
        guard let (seq, probed) = try await load(after: read) else { return (nil, read) }
        await registry.adopt(probed)
        return (nil, seq)
    }

    private func store(_ probed: ProbedHealth, epoch: Int64) async throws {
        let body = String(decoding: Snapshot.canonicalJSON(probed), as: UTF8.self)
        try await client.withTransaction(logger: logger) { [election, logger] connection in
            try await election.lease.fence(epoch: epoch, on: connection, logger: logger)
            try await connection.query(
                """
                INSERT INTO cluster_health AS shared (name, seq, body) VALUES ('leader', 1, \(body))
                ON CONFLICT (name) DO UPDATE SET seq = shared.seq + 1, body = EXCLUDED.body
                """, logger: logger)
        }
    }

    /// The document and its seq, when its seq is not `seen`.
    private func load(after seen: Int64?) async throws -> (Int64, ProbedHealth)? {
        let rows = try await client.query(
            "SELECT seq, body FROM cluster_health WHERE name = 'leader' AND seq IS DISTINCT FROM \(seen)",
            logger: logger)
        for try await (seq, body) in rows.decode((Int64, String).self) {
            return (seq, try JSONDecoder().decode(ProbedHealth.self, from: Data(body.utf8)))
        }
        return nil
    }
}
