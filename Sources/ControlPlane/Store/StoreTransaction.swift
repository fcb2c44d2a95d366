import AdminAPI
import Shared

/// What the registry, its readers and the snapshot history need from the store inside one
/// transaction: one protocol, implemented by SQLite (GRDB's `Database`) and by PostgreSQL
/// (``PostgresTransaction``). Calls block until the database answered; they run on the store's
/// own threads, never on an event loop.
package protocol StoreTransaction {
    // MARK: Endpoints

    /// Every endpoint in registration (seq) order.
    func allEndpoints() throws -> [EndpointRecord]
    func endpoint(named name: String) throws -> EndpointRecord?
    func endpoint(url: String) throws -> EndpointRecord?
    /// The highest seq of any endpoint; `nil` without one.
    func highestEndpointSeq() throws -> Int?
    /// Inserts or replaces the row of the record's name.
    func save(_ record: EndpointRecord) throws
    func deleteEndpoint(named name: String) throws
    /// Deletes the endpoints of `owner`, or every endpoint when `nil`.
    func deleteEndpoints(ownedBy owner: EndpointOwner?) throws

    // MARK: Settings

    func setting(_ key: String) throws -> String?
    /// Stores `value` under `key`, or removes the key when `nil`.
    func setSetting(_ key: String, to value: String?) throws

    // MARK: Snapshots

    func insertSnapshot(_ row: SnapshotRow) throws
    func snapshotRow(version: Int) throws -> SnapshotRow?
    /// The newest version below `version` stored whole with its seqs.
    func baseRow(before version: Int) throws -> SnapshotRow?
    /// The stored changes of the versions strictly between `after` and `before`, in order (a
    /// version stored whole has none).
    func snapshotChanges(after: Int, before: Int) throws -> [String]
    func newestSnapshotVersion() throws -> Int?
    func oldestSnapshotVersion() throws -> Int?
    /// The newest version stored whole with its seqs.
    func newestBaseVersion() throws -> Int?
    /// The newest version at or below `version` stored whole (with or without seqs).
    func newestWholeVersion(atMost version: Int) throws -> Int?
    /// From `base` on: the size of its body, the sizes of the changes after it, how many there
    /// are and the newest version.
    func chainSizes(from base: Int) throws -> (baseBytes: Int, changeBytes: Int, changes: Int, newest: Int)?
    func deleteSnapshots(before version: Int) throws
    func snapshotSummaries(before: Int?, limit: Int, offset: Int) throws -> [SnapshotSummary]
    func snapshotCount() throws -> Int

    // MARK: Savepoints

    /// Runs `body` so that, when it throws, what it changed is undone and the transaction goes on
    /// without it (a savepoint); the error is rethrown. When the undoing fails, the transaction
    /// cannot go on: ``SavepointLost`` is thrown instead.
    func withSavepoint<T>(_ body: () throws -> T) throws -> T

    // MARK: Cluster

    /// Tells the other control planes sharing the store about `version`, when the transaction
    /// commits; nothing for a store of one control plane.
    func announce(version: Int) throws

    /// Checks that this control plane still leads the cluster under `epoch`, and keeps the lease
    /// from changing hands until the transaction ends: what every leader-only write runs first.
    /// Nothing for a store of one control plane, which always leads.
    func fence(epoch: Int64) throws
}

/// One row of the `snapshot` table: whole (`body` with `seqs`, or legacy without) or a change
/// from the version before (`delta`, with `body` empty).
package struct SnapshotRow: Sendable, Equatable {
    package var version: Int
    package var createdAt: String
    package var cause: String
    package var checksum: String
    package var body: String
    package var endpointsCount: Int
    package var delta: String?
    package var seqs: String?
}

/// A store: SQLite for one machine, PostgreSQL shared by many control planes.
package protocol ConfigStore: Sendable {
    /// Runs `body` in one write transaction; it commits when `body` returns. Writers of all
    /// control planes sharing the store run one at a time.
    func writeTransaction<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws
        -> T
    /// Runs `body` on a consistent read-only view.
    func readTransaction<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws
        -> T
}

/// A savepoint whose changes could not be undone after its work failed: the transaction cannot
/// go on, and must fail whole.
package struct SavepointLost: Error {
    /// Why the undoing failed.
    package let reason: any Error
}

extension StoreTransaction {
    /// ``withSavepoint(_:)`` through three statements run by `execute`, the same SQL on both stores.
    func withSavepoint<T>(executing execute: (String) throws -> Void, _ body: () throws -> T) throws -> T {
        try execute("SAVEPOINT orch_write")
        let result: T
        do {
            result = try body()
        } catch {
            do {
                try execute("ROLLBACK TO SAVEPOINT orch_write")
                try execute("RELEASE SAVEPOINT orch_write")
            } catch let undoing {
                throw SavepointLost(reason: undoing)
            }
            throw error
        }
        try execute("RELEASE SAVEPOINT orch_write")
        return result
    }
}
