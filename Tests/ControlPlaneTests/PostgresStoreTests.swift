import AdminAPI
import Foundation
import Logging
import PostgresNIO
import Shared
import TestSupport
import Testing

@testable import ControlPlane

/// The registry on the PostgreSQL store, against a real server: the same history as on SQLite,
/// a commit that finds another control plane's version first, fencing, and an absent database.
@Suite(.endToEnd, .enabled(if: PostgresServer.shouldRun, PostgresServer.skipReason)) struct PostgresStoreTests {
    static let logger = Logger(label: "test.postgres-store")

    /// A server with the schema and a running client; stopped at the end.
    static func with(_ body: (PostgresServer, PostgresClient) async throws -> Void) async throws {
        let server = try await PostgresServer.start()
        defer { server.stop() }
        guard case .postgres(let location) = try DatabaseURL(parsing: server.url) else { return }
        let client = PostgresClient(configuration: location.configuration(), backgroundLogger: logger)
        let running = Task { await client.run() }
        defer { running.cancel() }
        try await ClusterSchema.migrate(client, logger: logger)
        try await body(server, client)
    }

    static func registry(
        _ store: any ConfigStore, directory: TestDirectory, name: String = "registry"
    ) async throws -> EndpointRegistry {
        try await EndpointRegistry(
            store: store, configPath: directory.file("\(name).yaml").path,
            publisher: SnapshotPublisher(logger: logger), logger: logger)
    }

    static func endpoint(_ name: String, path: String = "") -> EndpointConfig {
        EndpointConfig(name: name, url: "http://127.0.0.1:9/\(name)\(path)")
    }

    /// The same changes on `registry`; answers the version of each.
    static func history(_ registry: EndpointRegistry) async throws -> [Int] {
        var versions: [Int] = []
        func mark() async { versions.append(await registry.current.version) }
        try await registry.register(endpoint("a"))
        await mark()
        try await registry.register(endpoint("b"))
        await mark()
        try await registry.replace("a", with: endpoint("a", path: "/v2"))
        await mark()
        try await registry.setStatus("b", .disabled)
        await mark()
        _ = try await registry.importEndpoints(
            [endpoint("c"), endpoint("d")], prune: false, dryRun: false, cause: "import")
        await mark()
        try await registry.remove("c")
        await mark()
        _ = try await registry.apply(
            try GatewayConfig.parse(yaml: "endpoints:\n  - name: f\n    url: http://127.0.0.1:9/f\n"), cause: "file")
        await mark()
        _ = try await registry.rollback(to: versions[1])
        await mark()
        return versions
    }

    @Test func theRegistryStoresTheSameHistoryAsOnSQLite() async throws {
        try await Self.with { _, client in
            let directory = try TestDirectory()
            defer { directory.remove() }
            let sqlite = try Store(path: directory.file("store.sqlite").path)
            let postgres = PostgresStore(client: client, lease: nil, logger: Self.logger)
            let onSQLite = try await Self.registry(sqlite, directory: directory)
            let onPostgres = try await Self.registry(postgres, directory: directory)
            let versions = try await Self.history(onSQLite)
            #expect(try await Self.history(onPostgres) == versions)
            for version in [1] + versions {
                let expected = try #require(
                    try await sqlite.readTransaction { db in try SnapshotRecord.find(db, version: version) })
                let stored = try #require(
                    try await postgres.readTransaction { db in try SnapshotRecord.find(db, version: version) })
                #expect(stored.checksum == expected.checksum, "version \(version)")
                #expect(stored.endpoints == expected.endpoints && stored.cause == expected.cause)
            }
            let listed = try await postgres.readTransaction { db in try SnapshotRecord.list(db, limit: 100, offset: 0) }
            #expect(listed.map(\.version) == Array((1...versions.last!).reversed()))
            #expect(try await postgres.readTransaction { db in try EndpointRecord.all(db).map(\.name) } == ["a", "b"])
        }
    }

    @Test func aCommitAfterAnotherControlPlanesVersionBuildsOnIt() async throws {
        try await Self.with { _, client in
            let directory = try TestDirectory()
            defer { directory.remove() }
            let store = PostgresStore(client: client, lease: nil, logger: Self.logger)
            let one = try await Self.registry(store, directory: directory, name: "one")
            let two = try await Self.registry(store, directory: directory, name: "two")
            try await one.register(Self.endpoint("x"))
            // `two` has not caught up: its commit finds version 2 first and builds on it.
            try await two.register(Self.endpoint("y"))
            let latest = await two.current
            #expect(latest.version == 3 && latest.endpoints.map(\.name) == ["x", "y"])
            #expect(try await one.catchUp() == 3)
            #expect(await one.current == latest)
            // And `one` goes on from there with a change stored as such.
            try await one.remove("x")
            #expect(await one.current.endpoints.map(\.name) == ["y"])
            let stored = try await store.readTransaction { db in try db.snapshotRow(version: 4) }
            #expect(stored?.delta != nil)
            #expect(try await two.catchUp() == 4)
            #expect(await two.current == one.current)
            // Two versions behind, both stored as changes: `two` applies them to what it holds.
            try await one.register(Self.endpoint("z"))
            try await one.setStatus("y", .inactive)
            #expect(try await two.catchUp() == 6)
            #expect(await two.current == one.current)
            // And its next change is stored as such on top of them.
            try await two.remove("z")
            #expect(try await store.readTransaction { db in try db.snapshotRow(version: 7) }?.delta != nil)
            #expect(try await one.catchUp() == 7)
            #expect(await one.current == two.current)
        }
    }

    @Test func writesWaitingForTheCommitTurnShareOneVersionAndARefusedOneRefusesNoOther() async throws {
        try await Self.with { _, client in
            let directory = try TestDirectory()
            defer { directory.remove() }
            let store = PostgresStore(client: client, lease: nil, logger: Self.logger)
            let registry = try await Self.registry(store, directory: directory)
            // Another session holds the writers' lock: the first write holds the commit turn meanwhile.
            let lock = PostgresStore.writeLock
            try await client.withConnection { connection in
                try await CommitGroupTests.groupedWrites(
                    registry, store: store,
                    hold: { _ = try await connection.query("SELECT pg_advisory_lock(\(lock))", logger: Self.logger) },
                    release: {
                        _ = try await connection.query("SELECT pg_advisory_unlock(\(lock))", logger: Self.logger)
                    })
            }
        }
    }

    @Test func onlyTheLeaderUnderItsEpochAppliesTheConfigFile() async throws {
        try await Self.with { _, client in
            let directory = try TestDirectory()
            defer { directory.remove() }
            let lease = LeaderLease(node: "cp-one", ttl: .seconds(30))
            let store = PostgresStore(client: client, lease: lease, logger: Self.logger)
            let registry = try await Self.registry(store, directory: directory)
            let config = try GatewayConfig.parse(yaml: "endpoints:\n  - name: f\n    url: http://127.0.0.1:9/f\n")

            await registry.follow(leadership: { nil })
            await #expect(throws: RegistryError.notLeader) { try await registry.apply(config, cause: "file") }
            // An epoch this node does not hold: fenced, nothing stored.
            await registry.follow(leadership: { 7 })
            await #expect(throws: LeaderLease.LeaseError.fenced(epoch: 7)) {
                try await registry.apply(config, cause: "file")
            }
            #expect(try await store.readTransaction { db in try EndpointRecord.all(db) }.isEmpty)
            // Holding the lease: applied.
            let (holder, epoch) = try await lease.attempt(client, logger: Self.logger)
            #expect(holder == "cp-one")
            await registry.follow(leadership: { epoch })
            _ = try await registry.apply(config, cause: "file")
            #expect(try await store.readTransaction { db in try EndpointRecord.all(db).map(\.name) } == ["f"])
        }
    }

    @Test func aWriteWhileTheDatabaseIsDownFailsAsUnavailableAndTheNextOneWorks() async throws {
        try await Self.with { server, client in
            let directory = try TestDirectory()
            defer { directory.remove() }
            let store = PostgresStore(client: client, lease: nil, timeout: .seconds(2), logger: Self.logger)
            let registry = try await Self.registry(store, directory: directory)
            try server.halt()
            await #expect(throws: StoreUnavailable.self) { try await registry.register(Self.endpoint("lost")) }
            try server.resume()
            _ = try await eventually("a write works again", timeout: 60) { () -> Bool? in
                (try? await registry.register(Self.endpoint("kept"))) != nil ? true : nil
            }
            #expect(await registry.current.endpoints.map(\.name) == ["kept"])
            #expect(try await store.readTransaction { db in try EndpointRecord.all(db).map(\.name) } == ["kept"])
        }
    }
}
