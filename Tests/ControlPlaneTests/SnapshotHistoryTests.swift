import ArgumentParser
import ControlPlane
import Foundation
import GRDB
import Logging
import Shared
import TestSupport
import Testing

@Suite struct SnapshotHistoryTests {
    @Test func theNewestAreKeptWithTheWholeSnapshotTheyBuildOnAndAnOlderOneCannotBeRolledBackTo() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let logger = Logger(label: "history-test")
        let store = try Store(path: directory.file("store.sqlite").path)
        let registry = try await EndpointRegistry(
            store: store, configPath: directory.file("config.yaml").path, publisher: SnapshotPublisher(logger: logger),
            logger: logger, history: 3)
        let registrations = SnapshotRecord.fullInterval + 10
        for index in 1...registrations {
            try await registry.register(EndpointConfig(name: "svc\(index)", url: "http://svc\(index).internal/"))
        }
        let newest = await registry.current.version
        let kept = try await store.read { db in
            try Row.fetchAll(db, sql: "SELECT version, delta IS NULL AS whole FROM snapshot ORDER BY version").map {
                (version: $0["version"] as Int, whole: $0["whole"] as Bool)
            }
        }
        let oldest = try #require(kept.first)
        // The newest 3, and back to the whole snapshot the oldest of them is stored on top of.
        #expect(Array(kept.map(\.version).suffix(3)) == Array((newest - 2)...newest))
        #expect(kept.map(\.version) == Array(oldest.version...newest))
        #expect(oldest.whole)
        #expect(kept.count < 3 + SnapshotRecord.fullInterval)
        #expect(oldest.version > 1, "nothing was pruned: \(kept.map(\.version))")

        await #expect {
            try await registry.rollback(to: oldest.version - 1)
        } throws: { error in
            "\(error)".contains("no longer kept: versions from \(oldest.version) on are")
        }
        let rolledBack = try await registry.rollback(to: newest - 2)
        #expect(rolledBack.endpoints.map(\.name).count == registrations - 2)
    }

    @Test func theNumberKeptIsAFlagWithinBounds() throws {
        #expect(try ControlPlaneCommand.parse([]).snapshotHistory == SnapshotRecord.defaultHistory)
        #expect(try ControlPlaneCommand.parse(["--snapshot-history", "5"]).snapshotHistory == 5)
        for bad in ["0", "-1", "100001"] {
            #expect(throws: (any Error).self, "\(bad)") { try ControlPlaneCommand.parse(["--snapshot-history", bad]) }
        }
    }
}
