import AdminAPI
import Foundation
import Shared

/// Published snapshots, kept for history and rollback: the newest ``defaultHistory`` by default.
///
/// A version is stored either whole (`body`, the snapshot's canonical JSON, with the endpoints'
/// `seqs`) or, between whole ones, as its change from the version before (`delta`), so that a
/// change of one endpoint among thousands stores one endpoint. A whole snapshot is stored for
/// changes to everything (config file, rollback), once the changes stored since the newest whole
/// one add up to its size (``Chain``), and at least every ``fullInterval`` versions; so the store
/// grows by about twice the size of each change, and reading a version costs at most about two
/// whole snapshots' bytes. Reading a version applies the changes since the whole one before it
/// and checks the result against the stored checksum.
package enum SnapshotRecord {
    /// Snapshots kept when nothing else is asked: every configuration change stores one, so an
    /// unbounded history would grow the store without end.
    package static let defaultHistory = 100
    /// Versions stored as changes at most between two whole ones.
    package static let fullInterval = 1_000

    /// The versions stored since the newest whole one: what decides whether the next change is
    /// stored as such.
    struct Chain: Sendable, Equatable {
        /// The newest version stored whole with its seqs.
        var base: Int
        /// The size of its body.
        var baseBytes: Int
        /// The size of the changes stored after it.
        var changeBytes: Int
        /// The newest version in the chain.
        var newest: Int

        /// Whether a change of `bytes` at version `version` is stored as such on this chain.
        func takes(_ bytes: Int, at version: Int) -> Bool {
            version == newest + 1 && version - base <= SnapshotRecord.fullInterval
                && changeBytes + bytes <= baseBytes
        }

        /// The chain as the store holds it: from the newest whole version with seqs to the newest
        /// version; `nil` when there is none or a whole one without seqs follows it.
        static func read(_ db: any StoreTransaction) throws -> Chain? {
            guard let base = try newestBase(db), let sizes = try db.chainSizes(from: base) else { return nil }
            // A whole version without seqs after the base: the chain ended there.
            guard sizes.changes == sizes.newest - base else { return nil }
            return Chain(base: base, baseBytes: sizes.baseBytes, changeBytes: sizes.changeBytes, newest: sizes.newest)
        }
    }

    /// Stores `snapshot` whole; `body` is its canonical JSON when the caller has it already.
    static func insert(
        _ db: any StoreTransaction, _ snapshot: Snapshot, body: Data? = nil, seqs: [Int]? = nil
    ) throws {
        let body = String(decoding: body ?? Snapshot.canonicalJSON(snapshot), as: UTF8.self)
        let seqs = seqs.map { String(decoding: Snapshot.canonicalJSON($0), as: UTF8.self) }
        try db.insertSnapshot(
            SnapshotRow(
                version: snapshot.version, createdAt: snapshot.createdAt, cause: snapshot.cause,
                checksum: snapshot.checksum, body: body, endpointsCount: snapshot.endpoints.count, delta: nil,
                seqs: seqs))
        try db.announce(version: snapshot.version)
    }

    /// Stores `snapshot` as `delta` (its canonical JSON) from the version before it.
    static func insert(_ db: any StoreTransaction, _ snapshot: Snapshot, delta: Data) throws {
        try db.insertSnapshot(
            SnapshotRow(
                version: snapshot.version, createdAt: snapshot.createdAt, cause: snapshot.cause,
                checksum: snapshot.checksum, body: "", endpointsCount: snapshot.endpoints.count,
                delta: String(decoding: delta, as: UTF8.self), seqs: nil))
        try db.announce(version: snapshot.version)
    }

    /// The newest version stored whole with its seqs: a base that changes can be stored on.
    static func newestBase(_ db: any StoreTransaction) throws -> Int? {
        try db.newestBaseVersion()
    }

    /// Deletes all but the newest `count` snapshots, keeping the whole one the oldest of those
    /// is built on (so a few more may stay).
    static func prune(_ db: any StoreTransaction, keeping count: Int) throws {
        guard let newest = try newestVersion(db) else { return }
        let oldestKept = newest - max(1, count) + 1
        let base = try db.newestWholeVersion(atMost: oldestKept) ?? oldestKept
        try db.deleteSnapshots(before: min(base, oldestKept))
    }

    /// The newest version stored.
    static func newestVersion(_ db: any StoreTransaction) throws -> Int? {
        try db.newestSnapshotVersion()
    }

    /// The oldest version still stored.
    static func oldestVersion(_ db: any StoreTransaction) throws -> Int? {
        try db.oldestSnapshotVersion()
    }

    static func latest(_ db: any StoreTransaction) throws -> Snapshot? {
        guard let newest = try newestVersion(db) else { return nil }
        return try find(db, version: newest)
    }

    /// The snapshot of `version`, rebuilt from the whole one before it when stored as a change.
    static func find(_ db: any StoreTransaction, version: Int) throws -> Snapshot? {
        try stored(db, version: version)?.snapshot
    }

    /// A stored version: its snapshot, its content with seqs when the store knows them (every
    /// version but a whole one stored without seqs), and its change from the version before when
    /// stored as such.
    struct Stored: Sendable {
        var snapshot: Snapshot
        var content: SnapshotContent?
        var change: SnapshotDelta?
    }

    /// The version `version` as stored, rebuilt from the whole one before it when stored as a change.
    static func stored(_ db: any StoreTransaction, version: Int) throws -> Stored? {
        guard let row = try db.snapshotRow(version: version) else { return nil }
        guard let delta = row.delta else {
            let snapshot = try decode(row.body)
            return Stored(
                snapshot: snapshot, content: try row.seqs.map { SnapshotContent(snapshot, seqs: try decodeSeqs($0)) })
        }
        guard let base = try db.baseRow(before: version) else {
            throw StoredSnapshotError(version: version, reason: "the whole snapshot it builds on is missing")
        }
        let content = SnapshotContent(try decode(base.body), seqs: try decodeSeqs(base.seqs ?? "[]"))
        return try rebuilt(db, row, delta: delta, from: content, of: base.version)
    }

    /// Version `row`, stored as the change `delta`, rebuilt from `content` (the content of version
    /// `known`, with its seqs) and the changes stored after `known`: checked against the stored
    /// checksum (a legacy one too). Throws ``StoredSnapshotError`` when a change between them is
    /// missing (stored whole, or pruned) or the result does not match.
    static func rebuilt(
        _ db: any StoreTransaction, _ row: SnapshotRow, delta: String, from content: SnapshotContent, of known: Int
    ) throws -> Stored {
        let version = row.version
        let changes = try db.snapshotChanges(after: known, before: version)
        guard changes.count == version - known - 1 else {
            throw StoredSnapshotError(version: version, reason: "a change between it and version \(known) is missing")
        }
        var content = content
        for change in changes { try decodeDelta(change).apply(to: &content) }
        let change = try decodeDelta(delta)
        change.apply(to: &content)
        var snapshot = content.snapshot(version: version, createdAt: row.createdAt, cause: row.cause)
        if snapshot.checksum != row.checksum {
            // Stored before per-endpoint digests: the legacy checksum of the same content.
            guard
                row.checksum
                    == Snapshot.legacyChecksum(of: snapshot.endpoints, proxy: snapshot.proxy, tls: snapshot.tls)
            else {
                throw StoredSnapshotError(version: version, reason: "its rebuilt content does not match its checksum")
            }
            snapshot.checksum = row.checksum
        }
        return Stored(snapshot: snapshot, content: content, change: change)
    }

    /// Summaries, newest first, of versions below `before` (all when `nil`), after skipping
    /// `offset`; bodies are not read.
    static func list(
        _ db: any StoreTransaction, before: Int? = nil, limit: Int, offset: Int
    ) throws -> [SnapshotSummary] {
        try db.snapshotSummaries(before: before, limit: limit, offset: offset)
    }

    static func count(_ db: any StoreTransaction) throws -> Int {
        try db.snapshotCount()
    }

    static func decodeSeqs(_ json: String) throws -> [Int] {
        try JSONDecoder().decode([Int].self, from: Data(json.utf8))
    }

    static func decodeDelta(_ delta: String) throws -> SnapshotDelta {
        try JSONDecoder().decode(SnapshotDelta.self, from: Data(delta.utf8))
    }

    static func decode(_ body: String) throws -> Snapshot {
        try JSONDecoder().decode(Snapshot.self, from: Data(body.utf8))
    }
}

/// A stored snapshot that cannot be rebuilt: the store was damaged or edited by hand.
struct StoredSnapshotError: Error, CustomStringConvertible {
    let version: Int
    let reason: String

    var description: String { "stored snapshot \(version) cannot be rebuilt: \(reason)" }
}
