import Foundation
import GRDB
import Hummingbird
import Shared
import TestSupport
import Testing

@testable import ControlPlane

/// What the registry keeps between commits (the content, the stored settings, the chain of
/// changes) follows the store: a change to the file's settings reaches later writes, and a change
/// whose transaction fails leaves nothing of itself in what is published next.
@Suite struct RegistryCommitStateTests {
    @Test func writesAfterTheFileChangesThePoliciesUseTheNewOnes() async throws {
        let admin = try await InProcessAdmin()
        defer { admin.remove() }
        let add = #"{"name": "a", "url": "http://127.0.0.1:9/a"}"#
        try #require(try await admin.send(.post, "/registry/endpoints", body: add).status == 200)
        // The registry keeps the stored settings between writes; the file's change replaces them.
        try await admin.load("circuit_breaker:\n  failure_threshold: 9\nproxy:\n  max_headers: 40\nendpoints: []\n")
        let later = #"{"name": "b", "url": "http://127.0.0.1:9/b"}"#
        try #require(try await admin.send(.post, "/registry/endpoints", body: later).status == 200)
        let current = await admin.registry.current
        #expect(current.endpoints.map(\.circuitBreaker.failureThreshold) == [9, 9])
        #expect(current.proxy?.maxHeaders == 40)
        let stored = try await admin.store.read { db in try SnapshotRecord.find(db, version: current.version) }
        #expect(stored == current)
    }

    @Test func aChangeWhoseTransactionFailsLeavesNoTraceInTheNextVersion() async throws {
        let admin = try await InProcessAdmin()
        defer { admin.remove() }
        let add = #"{"name": "a", "url": "http://127.0.0.1:9/a"}"#
        try #require(try await admin.send(.post, "/registry/endpoints", body: add).status == 200)
        // Storing the version fails (as a full disk would) after the content was changed.
        try await admin.store.write { db in
            try db.execute(
                sql: "CREATE TRIGGER refuse BEFORE INSERT ON snapshot BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        }
        let failed = try await admin.send(
            .post, "/registry/endpoints", body: #"{"name": "lost", "url": "http://127.0.0.1:9/lost"}"#)
        #expect(failed.status >= 500, "\(failed.text)")
        try await admin.store.write { db in try db.execute(sql: "DROP TRIGGER refuse") }

        let later = #"{"name": "b", "url": "http://127.0.0.1:9/b"}"#
        try #require(try await admin.send(.post, "/registry/endpoints", body: later).status == 200)
        let current = await admin.registry.current
        #expect(current.endpoints.map(\.name) == ["a", "b"])
        let stored = try await admin.store.read { db in try SnapshotRecord.find(db, version: current.version) }
        #expect(stored == current)
        let records = try await admin.registry.records()
        #expect(records.map(\.name) == ["a", "b"])
    }
}
