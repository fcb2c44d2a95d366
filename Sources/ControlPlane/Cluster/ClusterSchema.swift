import Logging
import PostgresNIO

/// The tables control planes sharing one PostgreSQL database keep about themselves: the leader
/// lease and the members. Migrations are numbered and applied in order, each in its own
/// transaction, under a transaction-level advisory lock so that control planes starting
/// together apply each once.
package enum ClusterSchema {
    /// Each migration's statements, in order; the position is its version.
    static let migrations: [[PostgresQuery]] = [
        [
            """
            CREATE TABLE IF NOT EXISTS cluster_lease (
                name TEXT PRIMARY KEY,
                holder TEXT NOT NULL,
                epoch BIGINT NOT NULL,
                expires_at TIMESTAMPTZ NOT NULL
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS cluster_member (
                node TEXT PRIMARY KEY,
                admin_address TEXT NOT NULL,
                software_version TEXT NOT NULL,
                started_at TIMESTAMPTZ NOT NULL,
                last_heartbeat TIMESTAMPTZ NOT NULL
            )
            """,
        ]
    ]

    /// Applies the migrations this database lacks.
    package static func migrate(_ client: PostgresClient, logger: Logger) async throws {
        try await client.query(
            "CREATE TABLE IF NOT EXISTS orch_schema_migration (version INT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)",
            logger: logger)
        for (index, statements) in migrations.enumerated() {
            let version = index + 1
            try await client.withTransaction(logger: logger) { connection in
                // Held until the transaction ends: no session state a pooler could lose.
                try await connection.query("SELECT pg_advisory_xact_lock(7405001)", logger: logger)
                let applied = try await connection.query(
                    "SELECT 1 FROM orch_schema_migration WHERE version = \(version)", logger: logger
                ).collect()
                guard applied.isEmpty else { return }
                for statement in statements { try await connection.query(statement, logger: logger) }
                try await connection.query(
                    "INSERT INTO orch_schema_migration (version, applied_at) VALUES (\(version), now())",
                    logger: logger)
            }
        }
    }
}
