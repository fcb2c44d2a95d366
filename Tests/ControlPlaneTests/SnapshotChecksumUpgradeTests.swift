import Foundation
import GRDB
import Hummingbird
import Logging
import Shared
import TestSupport
import Testing

@testable import ControlPlane

/// Versions stored before per-endpoint digest checksums carry the legacy checksum: they still
/// read back, and the registry publishes the same content again under the current checksum, which
/// deltas build on.
@Suite struct SnapshotChecksumUpgradeTests {
    /// Rewrites every stored version's checksum to the legacy one of its content, as an older
    /// control plane stored it.
    static func storeLegacyChecksums(_ admin: InProcessAdmin) async throws {
        let versions = try await admin.store.read { db in try Int.fetchAll(db, sql: "SELECT version FROM snapshot") }
        for version in versions {
            let snapshot = try #require(
                try await admin.store.read { db in try SnapshotRecord.find(db, version: version) })
            let legacy = snapshot.withLegacyChecksum
            let body = String(decoding: Snapshot.canonicalJSON(legacy), as: UTF8.self)
            try await admin.store.write { db in
                try db.execute(
                    sql: "UPDATE snapshot SET checksum = ? WHERE version = ?", arguments: [legacy.checksum, version])
                try db.execute(
                    sql: "UPDATE snapshot SET body = ? WHERE version = ? AND delta IS NULL", arguments: [body, version])
            }
        }
    }

    @Test func versionsWithTheLegacyChecksumReadBackAndAreRepublishedUnderTheCurrentOne() async throws {
        let admin = try await InProcessAdmin()
        defer { admin.remove() }
        for name in ["a", "b", "c"] {
            let answer = try await admin.send(
                .post, "/registry/endpoints", body: #"{"name": "\#(name)", "url": "http://127.0.0.1:9/\#(name)"}"#)
            try #require(answer.status == 200, "\(answer.text)")
        }
        let before = await admin.registry.current
        try await Self.storeLegacyChecksums(admin)
        // Every version, whole or stored as a change, still reads back (with its legacy checksum).
        for version in 1...before.version {
            let stored = try #require(
                try await admin.store.read { db in try SnapshotRecord.find(db, version: version) })
            #expect(stored.checksum == stored.withLegacyChecksum.checksum, "version \(version)")
        }

        let registry = try await EndpointRegistry(
            store: admin.store, configPath: admin.directory.file("config.yaml").path,
            publisher: SnapshotPublisher(logger: InProcessAdmin.logger), logger: InProcessAdmin.logger)
        let current = await registry.current
        #expect(current.version == before.version + 1)
        #expect(current.cause == "startup")
        #expect(current.endpoints == before.endpoints)
        #expect(current.checksum == before.checksum, "the current checksum of the same content")
        // A second start finds the current checksum and publishes no new version.
        let again = try await EndpointRegistry(
            store: admin.store, configPath: admin.directory.file("config.yaml").path,
            publisher: SnapshotPublisher(logger: InProcessAdmin.logger), logger: InProcessAdmin.logger)
        #expect(await again.current.version == current.version)
    }
}
