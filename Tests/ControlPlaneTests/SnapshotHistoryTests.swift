import ArgumentParser
import ControlPlane
import Foundation
import GRDB
import Logging
import Shared
import TestSupport
import Testing

@Suite struct SnapshotHistoryTests {
    @Test func onlyTheNewestSnapshotsAreKeptAndAnOlderOneCannotBeRolledBackTo() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let logger = Logger(label: "history-test")
        let store = try Store(path: directory.file("store.sqlite").path)
        let registry = try await EndpointRegistry(
            store: store, configPath: directory.file("config.yaml").path, publisher: SnapshotPublisher(logger: logger),
            logger: logger, history: 3)
        for index in 1...6 {
            try await registry.register(EndpointConfig(name: "svc\(index)", url: "http://svc\(index).internal/"))
        }
        let newest = await registry.current.version
        let kept = try await store.read { db in
            try Int.fetchAll(db, sql: "SELECT version FROM snapshot ORDER BY version")
        }
        #expect(kept == Array((newest - 2)...newest))

        await #expect {
            try await registry.rollback(to: newest - 3)
        } throws: { error in
            "\(error)".contains("no longer kept: versions from \(newest - 2) on are")
        }
        let rolledBack = try await registry.rollback(to: newest - 2)
        #expect(rolledBack.endpoints.map(\.name).count == 4)
        #expect(try await store.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM snapshot") } == 3)
    }

    @Test func theNumberKeptIsAFlagWithinBounds() throws {
        #expect(try ControlPlaneCommand.parse([]).snapshotHistory == SnapshotRecord.defaultHistory)
        #expect(try ControlPlaneCommand.parse(["--snapshot-history", "5"]).snapshotHistory == 5)
        for bad in ["0", "-1", "100001"] {
            #expect(throws: (any Error).self, "\(bad)") { try ControlPlaneCommand.parse(["--snapshot-history", bad]) }
        }
    }
}
