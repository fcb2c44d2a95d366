import AdminAPI
import Foundation
import GRDB
import Hummingbird
import Shared
import TestSupport
import Testing

@testable import ControlPlane

/// `limit` and `cursor` on `/registry/endpoints`, `/snapshots` and `/dataplanes`, in-process.
@Suite struct ListingPaginationTests {
    /// 25 API-owned endpoints in one change, then `changes` single updates (one version each).
    static func admin(endpoints: Int = 25, changes: Int = 0) async throws -> InProcessAdmin {
        let admin = try await InProcessAdmin()
        let list = (0..<endpoints).map { #"{"name": "svc\#($0)", "url": "http://127.0.0.1:9/svc\#($0)"}"# }
        let put = try await admin.send(
            .put, "/registry/endpoints", body: #"{"endpoints": [\#(list.joined(separator: ","))]}"#)
        try #require(put.status == 200, "\(put.text)")
        for index in 0..<changes {
            let body = #"{"name": "svc0", "url": "http://127.0.0.1:9/svc0", "timeout": \#(index + 1)}"#
            try #require(try await admin.send(.post, "/registry/endpoints", body: body).status == 200)
        }
        return admin
    }

    @Test func endpointPagesFollowEachOtherToTheEndWithoutRepeats() async throws {
        let admin = try await Self.admin()
        defer { admin.remove() }
        var names: [String] = []
        var cursor: String?
        var pages = 0
        repeat {
            let path = "/registry/endpoints?limit=10" + (cursor.map { "&cursor=\($0)" } ?? "")
            let page = try await admin.send(.get, path).decode(EndpointList.self)
            #expect(page.totalCount == 25)
            #expect(page.endpoints.count <= 10)
            names += page.endpoints.map(\.name)
            cursor = page.nextCursor
            pages += 1
        } while cursor != nil && pages < 10
        #expect(pages == 3)
        #expect(names == (0..<25).map { "svc\($0)" })
    }

    @Test func anEndpointRemovedBetweenPagesDoesNotBreakTheWalk() async throws {
        let admin = try await Self.admin()
        defer { admin.remove() }
        let first = try await admin.send(.get, "/registry/endpoints?limit=10").decode(EndpointList.self)
        let cursor = try #require(first.nextCursor)
        // The last endpoint of the first page goes away; the next page starts after it all the same.
        try #require(try await admin.send(.delete, "/registry/endpoints/svc9").status == 200)
        let second = try await admin.send(.get, "/registry/endpoints?limit=10&cursor=\(cursor)").decode(
            EndpointList.self)
        #expect(second.endpoints.first?.name == "svc10")
    }

    @Test func snapshotPagesGoBackInTimeWithoutReadingBodies() async throws {
        let admin = try await Self.admin(endpoints: 3, changes: 6)
        defer { admin.remove() }
        var versions: [Int] = []
        var cursor: String?
        var pages = 0
        repeat {
            let path = "/snapshots?limit=3" + (cursor.map { "&cursor=\($0)" } ?? "")
            let page = try await admin.send(.get, path).decode(SnapshotListing.self)
            versions += page.snapshots.map(\.version)
            #expect(page.snapshots.allSatisfy { $0.endpointsCount == ($0.version == 1 ? 0 : 3) })
            cursor = page.nextCursor
            pages += 1
        } while cursor != nil && pages < 10
        let current = await admin.version
        #expect(versions == Array((1...current).reversed()))
        // The listing reads the stored count: a body it cannot decode does not matter.
        try await admin.store.write { db in try db.execute(sql: "UPDATE snapshot SET body = 'not json'") }
        #expect(try await admin.send(.get, "/snapshots?limit=2").decode(SnapshotListing.self).snapshots.count == 2)
    }

    @Test func badCursorsAreRefusedNamingTheField() async throws {
        let admin = try await Self.admin(endpoints: 1)
        defer { admin.remove() }
        for path in ["/registry/endpoints?cursor=abc", "/snapshots?cursor=-1", "/dataplanes?cursor=zz"] {
            let answer = try await admin.send(.get, path)
            #expect(answer.status == 422, "\(path): \(answer.text)")
            #expect(answer.text.contains("\"cursor\""), "\(path): \(answer.text)")
        }
    }

    @Test func aStoreFromBeforeTheCountColumnGetsItFilledIn() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let path = directory.file("store.sqlite").path
        let old = try DatabaseQueue(path: path)
        try Store.migrator.migrate(old, upTo: "v1: endpoints, settings, snapshots")
        let endpoints = [
            SnapshotEndpoint(
                config: EndpointConfig(name: "a", url: "http://h/a"), owner: .api, circuitBreaker: .defaults,
                healthCheck: .defaults, health: .unknown, status: .active),
            SnapshotEndpoint(
                config: EndpointConfig(name: "b", url: "http://h/b"), owner: .api, circuitBreaker: .defaults,
                healthCheck: .defaults, health: .unknown, status: .active),
        ]
        let snapshot = Snapshot(version: 1, createdAt: "2026-11-01T00:00:00Z", cause: "old", endpoints: endpoints)
        try await old.write { db in
            try db.execute(
                sql: "INSERT INTO snapshot (version, created_at, cause, checksum, body) VALUES (1, 't', 'old', ?, ?)",
                arguments: [snapshot.checksum, String(decoding: Snapshot.canonicalJSON(snapshot), as: UTF8.self)])
        }
        try old.close()
        let store = try Store(path: path)
        let listed = try await store.read { db in try SnapshotRecord.list(db, limit: 10, offset: 0) }
        #expect(listed.map(\.endpointsCount) == [2])
    }
}
