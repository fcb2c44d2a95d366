import AdminAPI
import Foundation
import GRDB
import Hummingbird
import Shared
import TestSupport
import Testing

@testable import ControlPlane

/// Versions between whole snapshots are stored as their change; reading any version back gives
/// exactly the snapshot that was published.
@Suite struct SnapshotDeltaStorageTests {
    static func endpoint(_ name: String, timeout: Int = 30) -> String {
        #"{"name": "\#(name)", "url": "http://127.0.0.1:9/\#(name)", "timeout": \#(timeout)}"#
    }

    /// `count` endpoints in one change, then `changes` single changes (updates, removals, re-adds);
    /// returns every snapshot published along the way.
    static func history(_ admin: InProcessAdmin, count: Int, changes: Int) async throws -> [Snapshot] {
        var published: [Snapshot] = []
        let list = (0..<count).map { endpoint("svc\($0)") }
        let put = try await admin.send(
            .put, "/registry/endpoints", body: #"{"endpoints": [\#(list.joined(separator: ","))]}"#)
        try #require(put.status == 200, "\(put.text)")
        published.append(await admin.registry.current)
        for step in 0..<changes {
            let answer: TestResponse
            switch step % 4 {
            case 0:
                answer = try await admin.send(
                    .post, "/registry/endpoints", body: endpoint("svc\(step % count)", timeout: step + 1))
            case 1: answer = try await admin.send(.delete, "/registry/endpoints/svc\(step % count)")
            case 2:
                answer = try await admin.send(.post, "/registry/endpoints", body: endpoint("svc\((step - 1) % count)"))
            default:
                answer = try await admin.send(.put, "/registry/endpoints/svc\(step % count)/status?status=inactive")
            }
            try #require(answer.status == 200, "step \(step): \(answer.text)")
            published.append(await admin.registry.current)
        }
        return published
    }

    @Test func everyVersionReadsBackAsPublishedAndMostAreStoredAsChanges() async throws {
        let admin = try await InProcessAdmin()
        defer { admin.remove() }
        let published = try await Self.history(admin, count: 200, changes: 120)
        #expect(Set(published.map(\.version)).count == published.count)
        for snapshot in published {
            let stored = try await admin.store.read { db in try SnapshotRecord.find(db, version: snapshot.version) }
            #expect(stored == snapshot, "version \(snapshot.version)")
        }
        let rows = try await admin.store.read { db in
            try Row.fetchAll(db, sql: "SELECT length(body) AS body, length(delta) AS delta FROM snapshot").map {
                (body: $0["body"] as Int, delta: $0["delta"] as Int?)
            }
        }
        let whole = rows.filter { $0.delta == nil }
        let changes = rows.filter { $0.delta != nil }
        // One whole snapshot per 50 versions at most, and a change is a small fraction of one.
        #expect(whole.count <= 1 + published.count / SnapshotRecord.fullInterval + 1, "\(whole.count) whole")
        let largestChange = changes.compactMap(\.delta).max() ?? 0
        let smallestWhole = whole.map(\.body).filter { $0 > 100 }.min() ?? 0
        #expect(largestChange * 20 < smallestWhole, "change \(largestChange) bytes, whole \(smallestWhole) bytes")
    }

    @Test func aWholeSnapshotIsStoredOnceTheChangesSinceTheLastOneAddUpToItsSize() async throws {
        let admin = try await InProcessAdmin(history: 1_000)
        defer { admin.remove() }
        let published = try await Self.history(admin, count: 20, changes: 300)
        let rows = try await admin.store.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT version, length(body) AS body, length(delta) AS delta FROM snapshot ORDER BY version
                    """
            ).map { (version: $0["version"] as Int, body: $0["body"] as Int, delta: $0["delta"] as Int?) }
        }
        #expect(Set(published.map(\.version)).isSubset(of: rows.map(\.version)), "nothing pruned")
        var chains: [(base: Int, changes: Int)] = []
        for row in rows {
            if let delta = row.delta {
                chains[chains.count - 1].changes += delta
            } else {
                chains.append((row.body, 0))
            }
        }
        // More than one whole version (the changes outgrew the first), each chain of changes at
        // most the size of the whole one it builds on, and far fewer whole versions than changes.
        #expect(chains.count > 1)
        for chain in chains { #expect(chain.changes <= chain.base, "\(chains)") }
        #expect(chains.count * 10 < rows.count, "\(chains.count) whole of \(rows.count)")
        for snapshot in published.suffix(40) {
            let stored = try await admin.store.read { db in try SnapshotRecord.find(db, version: snapshot.version) }
            #expect(stored == snapshot, "version \(snapshot.version)")
        }
    }

    @Test func rollbackToAVersionStoredAsAChangeRestoresExactlyIt() async throws {
        let admin = try await InProcessAdmin()
        defer { admin.remove() }
        let published = try await Self.history(admin, count: 20, changes: 30)
        let target = published[17]
        let answer = try await admin.send(.post, "/snapshots/\(target.version)/rollback")
        #expect(answer.status == 200, "\(answer.text)")
        let current = await admin.registry.current
        #expect(current.version == published.last!.version + 1)
        #expect(current.endpoints.map(\.config) == target.endpoints.map(\.config))
        #expect(current.endpoints.map(\.status) == target.endpoints.map(\.status))
        // And the next change after the rollback is stored and read back like any other.
        try #require(try await admin.send(.post, "/registry/endpoints", body: Self.endpoint("late")).status == 200)
        let late = await admin.registry.current
        #expect(try await admin.store.read { db in try SnapshotRecord.find(db, version: late.version) } == late)
    }

    @Test func pruningKeepsTheWholeSnapshotTheKeptChangesNeed() async throws {
        let admin = try await InProcessAdmin(history: 10)
        defer { admin.remove() }
        let published = try await Self.history(admin, count: 10, changes: 80)
        let oldest = try #require(try await admin.store.read { db in try SnapshotRecord.oldestVersion(db) })
        let newest = published.last!.version
        #expect(oldest <= newest - 9)
        #expect(oldest >= newest - 9 - SnapshotRecord.fullInterval)
        for snapshot in published where snapshot.version >= oldest {
            #expect(
                try await admin.store.read { db in try SnapshotRecord.find(db, version: snapshot.version) } == snapshot)
        }
        let pruned = try await admin.send(.post, "/snapshots/\(oldest - 1)/rollback")
        #expect(pruned.status == 404, "\(pruned.text)")
    }

    @Test func aDamagedChangeIsAClearErrorNotAWrongSnapshot() async throws {
        let admin = try await InProcessAdmin()
        defer { admin.remove() }
        let published = try await Self.history(admin, count: 5, changes: 4)
        let last = published.last!.version
        try await admin.store.write { db in
            try db.execute(
                sql: "UPDATE snapshot SET delta = replace(delta, '\"timeout\":30', '\"timeout\":31') WHERE version = ?",
                arguments: [last - 1])
        }
        #expect(throws: StoredSnapshotError.self) {
            try admin.store.database.read { db in try SnapshotRecord.find(db, version: last) }
        }
    }
}
