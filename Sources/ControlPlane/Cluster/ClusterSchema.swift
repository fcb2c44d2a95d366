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
        ],
        // The configuration, as in the SQLite store (``Store``): endpoints, settings and snapshots.
        [
            """
            CREATE TABLE IF NOT EXISTS endpoint (
                name TEXT PRIMARY KEY,
                url TEXT NOT NULL UNIQUE,
                owner TEXT NOT NULL,
                config TEXT NOT NULL,
                status TEXT NOT NULL DEFAULT 'active',
                registered_at TEXT NOT NULL,
                seq BIGINT NOT NULL
            )
            """,
            "CREATE INDEX IF NOT EXISTS endpoint_seq ON endpoint (seq)",
            "CREATE TABLE IF NOT EXISTS setting (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            """
            CREATE TABLE IF NOT EXISTS snapshot (
                version BIGINT PRIMARY KEY,
                created_at TEXT NOT NULL,
                cause TEXT NOT NULL,
                checksum TEXT NOT NULL,
                body TEXT NOT NULL,
                endpoints_count BIGINT NOT NULL,
                delta TEXT,
                seqs TEXT
            )
            """,
            "CREATE INDEX IF NOT EXISTS snapshot_whole ON snapshot (version) WHERE delta IS NULL",
            "CREATE INDEX IF NOT EXISTS snapshot_base ON snapshot (version) WHERE seqs IS NOT NULL",
            // The leader's probe results as one document, which every control plane sends its data
            // planes; `seq` grows with each, so followers read the document only when it changed.
            """
            CREATE TABLE IF NOT EXISTS cluster_health (
                name TEXT PRIMARY KEY,
                seq BIGINT NOT NULL,
                body TEXT NOT NULL
            )
            """,
        ],
    ]

    /// Applies the migrations this database lacks.
    package static func migrate(_ client: PostgresClient, logger: Logger) async throws {
        // Under the lock too: two `CREATE TABLE IF NOT EXISTS` at once may both try to create it.
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(7405001)", logger: logger)
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS orch_schema_migration (
                    version INT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL
                )
                """, logger: logger)
        }
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
