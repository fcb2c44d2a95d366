import Foundation
import GRDB
import Shared

extension Store {
    /// Writes a consistent copy of the whole database to `path` (which must not exist) with
    /// SQLite's `VACUUM INTO`: one self-contained file, whatever is still in the WAL included,
    /// as of one moment (writes wait while it is made). Returns the newest snapshot version in it.
    package func backup(to path: String) async throws -> Int {
        try await database.writeWithoutTransaction { db in
            try db.execute(sql: "VACUUM INTO ?", arguments: [path])
            return try SnapshotRecord.newestVersion(db) ?? 0
        }
    }

    /// What a restore found in a backup file.
    package struct Restored: Sendable {
        package var endpoints: Int
        /// The snapshot version published for the restored state.
        package var version: Int
    }

    /// Replaces the database at `path` with the backup `file` (checked first: an SQLite database
    /// of this control plane that passes `PRAGMA integrity_check`) and records the restored state
    /// as a new snapshot version above every version published before, `above` included (the
    /// replicas' cached version), so that replicas take it.
    package static func restore(from file: String, into path: String, above: Int) throws -> Restored {
        let backupVersion: Int
        do {
            var configuration = Configuration()
            configuration.readonly = true
            let queue = try DatabaseQueue(path: file, configuration: configuration)
            backupVersion = try queue.read { db in
                let check = try String.fetchOne(db, sql: "PRAGMA integrity_check")
                guard check == "ok" else { throw ControlPlaneError("integrity check failed: \(check ?? "no answer")") }
                for table in ["endpoint", "setting", "snapshot"] where try !db.tableExists(table) {
                    throw ControlPlaneError("it has no \(table) table: not an Orchestrator backup")
                }
                return try SnapshotRecord.newestVersion(db) ?? 0
            }
            try queue.close()
        } catch let error as ControlPlaneError {
            throw ControlPlaneError("cannot restore from \(file): \(error.description)")
        } catch {
            throw ControlPlaneError("cannot restore from \(file): not a readable SQLite database (\(error))")
        }
        var previous = above
        if FileManager.default.fileExists(atPath: path) {
            let old = try DatabaseQueue(path: path)
            previous = max(
                previous, try old.read { db in try SnapshotRecord.newestVersion(db) ?? 0 })
            try old.close()
        }
        let temporary = path + ".restore"
        try? FileManager.default.removeItem(atPath: temporary)
        try FileManager.default.copyItem(atPath: file, toPath: temporary)
        for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
        guard rename(temporary, path) == 0 else {
            throw ControlPlaneError("cannot move the restored database into place: \(AtomicFile.errnoText())")
        }
        let store = try Store(path: path)
        let version = max(previous, backupVersion) + 1
        let name = (file as NSString).lastPathComponent
        return try store.database.write { db in
            let endpoints = try SnapshotBuilder.endpoints(db, health: [:])
            let snapshot = Snapshot(
                version: version, createdAt: Timestamp.string(), cause: "restore from \(name)",
                endpoints: endpoints, proxy: try SnapshotBuilder.proxy(db), tls: try SnapshotBuilder.tls(db))
            try SnapshotRecord.insert(db, snapshot)
            return Restored(endpoints: endpoints.count, version: version)
        }
    }
}
