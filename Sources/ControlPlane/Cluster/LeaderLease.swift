import Logging
import PostgresNIO

/// The leader lease of control planes sharing one PostgreSQL database: one row with its holder,
/// a fencing epoch and an expiry in the database's clock. Taking or renewing it is one
/// statement; the epoch grows each time the lease changes hands (or lapsed), and every
/// leader-only write checks it (``fence``), so a leader that lost the lease without knowing it
/// changes nothing. No session advisory locks: they break behind connection poolers and fence
/// nothing.
package struct LeaderLease: Sendable {
    /// The lease's name (one row per singleton job; the leader's is `leader`).
    package let name: String
    /// This control plane (`--node-name`).
    package let node: String
    package let ttl: Duration

    package init(name: String = "leader", node: String, ttl: Duration) {
        self.name = name
        self.node = node
        self.ttl = ttl
    }

    /// The lease's time in whole milliseconds, as the statements take it.
    var ttlMilliseconds: Int64 { ttl.milliseconds }

    /// Takes the lease if it is free or lapsed, renews it if this node holds it, and answers who
    /// holds it now and under which epoch.
    package func attempt(_ client: PostgresClient, logger: Logger) async throws -> (holder: String, epoch: Int64) {
        let rows = try await client.query(
            """
            INSERT INTO cluster_lease AS lease (name, holder, epoch, expires_at)
            VALUES (\(name), \(node), 1, now() + \(ttlMilliseconds) * interval '1 millisecond')
            ON CONFLICT (name) DO UPDATE SET
                holder = EXCLUDED.holder,
                epoch = CASE WHEN lease.holder = EXCLUDED.holder AND lease.expires_at > now()
                    THEN lease.epoch ELSE lease.epoch + 1 END,
                expires_at = EXCLUDED.expires_at
            WHERE lease.holder = EXCLUDED.holder OR lease.expires_at <= now()
            RETURNING holder, epoch
            """, logger: logger)
        for try await (holder, epoch) in rows.decode((String, Int64).self) { return (holder, epoch) }
        // Held by another node, and not lapsed: say who.
        let current = try await client.query(
            "SELECT holder, epoch FROM cluster_lease WHERE name = \(name)", logger: logger)
        for try await (holder, epoch) in current.decode((String, Int64).self) { return (holder, epoch) }
        throw LeaseError.vanished
    }

    /// Gives the lease up at once (a graceful stop), if this node still holds it under `epoch`.
    package func release(epoch: Int64, _ client: PostgresClient, logger: Logger) async throws {
        try await client.query(
            """
            UPDATE cluster_lease SET expires_at = now()
            WHERE name = \(name) AND holder = \(node) AND epoch = \(epoch) AND expires_at > now()
            """, logger: logger)
    }

    /// Checks, inside a transaction on `connection`, that this node still holds the lease under
    /// `epoch`, and keeps it from changing hands until the transaction ends (`FOR SHARE`: a
    /// taker's update waits). Every leader-only write runs after this in the same transaction.
    ///
    /// - Throws: ``LeaseError/fenced`` when the lease lapsed or another node holds it.
    package func fence(epoch: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        let rows = try await connection.query(fenceQuery(epoch: epoch), logger: logger).collect()
        guard !rows.isEmpty else { throw LeaseError.fenced(epoch: epoch) }
    }

    /// The statement of ``fence(epoch:on:logger:)``: one row while this node holds the lease
    /// under `epoch`, none otherwise.
    func fenceQuery(epoch: Int64) -> PostgresQuery {
        """
        SELECT 1 FROM cluster_lease
        WHERE name = \(name) AND holder = \(node) AND epoch = \(epoch) AND expires_at > clock_timestamp()
        FOR SHARE
        """
    }

    package enum LeaseError: Error, Equatable {
        /// The lease row was deleted between the two statements.
        case vanished
        /// A leader-only write under `epoch`, which no longer holds the lease.
        case fenced(epoch: Int64)
    }
}
