import Foundation
import GRDB
import Shared

/// The control plane's durable state in SQLite (WAL mode): endpoints with their owner, the
/// global policies last loaded from the config file, and every published snapshot.
/// A write returns only after its transaction committed.
package final class Store: ConfigStore {
    let database: DatabasePool

    /// Opens (creating if needed) the database at `path` and migrates it to the current schema.
    package init(path: String) throws {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            // Durable on power loss, not only on process crash.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        configuration.busyMode = .timeout(10)
        database = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(database)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: endpoints, settings, snapshots") { db in
            try db.create(table: "endpoint") { table in
                table.primaryKey("name", .text)
                table.column("url", .text).notNull().unique()
                table.column("owner", .text).notNull()
                table.column("config", .text).notNull()
                table.column("status", .text).notNull().defaults(to: AdminStatus.active.rawValue)
                table.column("registered_at", .text).notNull()
                table.column("seq", .integer).notNull()
            }
            try db.create(table: "setting") { table in
                table.primaryKey("key", .text)
                table.column("value", .text).notNull()
            }
            try db.create(table: "snapshot") { table in
                table.primaryKey("version", .integer)
                table.column("created_at", .text).notNull()
                table.column("cause", .text).notNull()
                table.column("checksum", .text).notNull()
                table.column("body", .text).notNull()
            }
        }
        // Listing snapshots must not read their bodies (megabytes each with many endpoints).
        migrator.registerMigration("v2: snapshot endpoints_count") { db in
            try db.alter(table: "snapshot") { table in
                table.add(column: "endpoints_count", .integer).notNull().defaults(to: 0)
            }
            try db.execute(sql: "UPDATE snapshot SET endpoints_count = json_array_length(body, '$.endpoints')")
        }
        // Between full snapshots, a version stores only its change (`delta`, with `body` empty);
        // a full one stores the endpoints' seqs, which order the changes applied on top of it.
        migrator.registerMigration("v3: snapshot deltas") { db in
            try db.alter(table: "snapshot") { table in
                table.add(column: "delta", .text)
                table.add(column: "seqs", .text)
            }
        }
        // What every write reads must not scan the table: the next seq (MAX over an index), and
        // the whole snapshot a version builds on.
        migrator.registerMigration("v4: write path indexes") { db in
            try db.create(index: "endpoint_seq", on: "endpoint", columns: ["seq"])
            try db.execute(sql: "CREATE INDEX snapshot_whole ON snapshot(version) WHERE delta IS NULL")
            try db.execute(sql: "CREATE INDEX snapshot_base ON snapshot(version) WHERE seqs IS NOT NULL")
        }
        return migrator
    }

    /// Runs `body` in one write transaction.
    package func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await database.write(body)
    }

    /// Runs `body` on a read-only snapshot of the database.
    package func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await database.read(body)
    }

    package func writeTransaction<T: Sendable>(
        _ body: @escaping @Sendable (any StoreTransaction) throws -> T
    ) async throws -> T {
        try await database.write { db in try body(db) }
    }

    package func readTransaction<T: Sendable>(
        _ body: @escaping @Sendable (any StoreTransaction) throws -> T
    ) async throws -> T {
        try await database.read { db in try body(db) }
    }
}
