import Foundation
import Logging
import PostgresNIO
import TestSupport
import Testing

@testable import ControlPlane

/// The leader lease against a real PostgreSQL server: one leader among the nodes, a takeover
/// with a higher epoch when the leader stops renewing, fenced writes, and a database that goes
/// away and comes back.
@Suite(.endToEnd, .enabled(if: PostgresServer.shouldRun, PostgresServer.skipReason)) struct LeaderElectionTests {
    static let logger = Logger(label: "test.election")
    static let ttl = Duration.seconds(1)

    /// A running election for `node`; `stop(release:)` ends it as a graceful stop (which gives the
    /// lease up) or as a `kill -9` would (no release: the lease must lapse).
    final class Node: @unchecked Sendable {
        let election: LeaderElection
        let client: PostgresClient
        private let clientTask: Task<Void, Never>
        private var electionTask: Task<Void, any Error>?

        init(_ node: String, database: String) throws {
            guard case .postgres(let location) = try DatabaseURL(parsing: database) else {
                throw DatabaseURLError("not a postgres URL: \(database)")
            }
            client = PostgresClient(
                configuration: location.configuration(), backgroundLogger: LeaderElectionTests.logger)
            clientTask = Task { [client] in await client.run() }
            election = LeaderElection(
                lease: LeaderLease(node: node, ttl: LeaderElectionTests.ttl), client: client,
                adminAddress: "127.0.0.1:\(node.count)", logger: LeaderElectionTests.logger)
        }

        func start() {
            electionTask = Task { [election] in try await election.run() }
        }

        /// Ends the election: `release` lets it give the lease up (graceful stop); without it
        /// the task is cancelled where it stands, and the lease lapses on its own.
        func stop(release: Bool) async {
            if release {
                electionTask?.cancel()
            } else {
                clientTask.cancel()
                electionTask?.cancel()
            }
            _ = await electionTask?.result
            clientTask.cancel()
            _ = await clientTask.value
        }

        var epoch: Int64? {
            if case .leader(let epoch) = election.role { return epoch }
            return nil
        }
    }

    /// A PostgreSQL server with the cluster schema and `count` running nodes; all stopped at the end.
    static func with(nodes count: Int, _ body: (PostgresServer, [Node]) async throws -> Void) async throws {
        let server = try await PostgresServer.start()
        defer { server.stop() }
        var nodes: [Node] = []
        do {
            for index in 0..<count { nodes.append(try Node("cp-\(index)", database: server.url)) }
            try await ClusterSchema.migrate(nodes[0].client, logger: logger)
            // Migrating twice, as a second control plane starting does, changes nothing.
            try await ClusterSchema.migrate(nodes[count - 1].client, logger: logger)
            for node in nodes { node.start() }
            try await body(server, nodes)
        } catch {
            for node in nodes { await node.stop(release: true) }
            throw error
        }
        for node in nodes { await node.stop(release: true) }
    }

    static func leaders(_ nodes: [Node]) -> [Node] { nodes.filter { $0.epoch != nil } }

    @Test func exactlyOneNodeLeadsAndAnotherTakesOverWithAHigherEpochWhenItStopsRenewing() async throws {
        try await Self.with(nodes: 3) { server, nodes in
            let first = try await eventually("one leader", timeout: 30) { () -> Node? in
                let leaders = Self.leaders(nodes)
                return leaders.count == 1 ? leaders[0] : nil
            }
            let firstEpoch = try #require(first.epoch)
            // Renewals keep the same leader and epoch.
            try await Task.sleep(for: Self.ttl * 2)
            #expect(Self.leaders(nodes).map(\.epoch) == [firstEpoch])
            #expect(try await first.election.members().map(\.node) == ["cp-0", "cp-1", "cp-2"])

            let clock = ContinuousClock()
            let killed = clock.now
            await first.stop(release: false)
            let rest = nodes.filter { $0 !== first }
            let second = try await eventually("another leader", timeout: 30) { () -> Node? in
                let leaders = Self.leaders(rest)
                return leaders.count == 1 ? leaders[0] : nil
            }
            let waited = clock.now - killed
            let secondEpoch = try #require(second.epoch)
            #expect(secondEpoch > firstEpoch)
            // The lease lapses one TTL after the last renewal and the next attempt of another
            // node takes it: far sooner than this bound, which only leaves room for a loaded machine.
            #expect(waited < Self.ttl * 10, "took \(waited)")
            let holder = try await second.election.leaseHolder()
            #expect(holder?.holder == second.election.lease.node && holder?.epoch == secondEpoch)
            _ = server
        }
    }

    @Test func aLeaderOnlyWriteUnderAStaleEpochIsFencedOff() async throws {
        try await Self.with(nodes: 2) { _, nodes in
            let first = try await eventually("one leader", timeout: 30) { () -> Node? in
                Self.leaders(nodes).count == 1 ? Self.leaders(nodes)[0] : nil
            }
            let staleEpoch = try #require(first.epoch)
            let lease = first.election.lease
            try await first.client.query("CREATE TABLE leader_work (epoch BIGINT NOT NULL)")
            func write(_ epoch: Int64, through node: Node, as lease: LeaderLease) async throws {
                try await node.client.withTransaction(logger: Self.logger) { connection in
                    try await lease.fence(epoch: epoch, on: connection, logger: Self.logger)
                    try await connection.query("INSERT INTO leader_work (epoch) VALUES (\(epoch))", logger: Self.logger)
                }
            }
            try await write(staleEpoch, through: first, as: lease)

            // The leader stops renewing (a pause, a partition) and the other takes over.
            await first.stop(release: false)
            let second = try await eventually("the other leads", timeout: 30) { () -> Node? in
                let other = nodes.first { $0 !== first }!
                return other.epoch != nil ? other : nil
            }
            // The old leader, back and unaware, writes under its epoch: refused by the database.
            do {
                try await write(staleEpoch, through: second, as: lease)
                Issue.record("a write under the stale epoch went through")
            } catch let error as PostgresTransactionError {
                #expect(error.closureError as? LeaderLease.LeaseError == .fenced(epoch: staleEpoch), "\(error)")
            }
            try await write(try #require(second.epoch), through: second, as: second.election.lease)
            let epochs = try await second.client.query("SELECT epoch FROM leader_work ORDER BY epoch").collect()
            #expect(epochs.count == 2)
        }
    }

    @Test func aGracefulStopGivesTheLeaseUpAtOnce() async throws {
        try await Self.with(nodes: 2) { _, nodes in
            let first = try await eventually("one leader", timeout: 30) { () -> Node? in
                Self.leaders(nodes).count == 1 ? Self.leaders(nodes)[0] : nil
            }
            await first.stop(release: true)
            let holder = try await nodes.first { $0 !== first }!.election.leaseHolder()
            // Released: the expiry is no later than now in the database's clock.
            #expect(try #require(holder).expiresAt <= Date().addingTimeInterval(0.5))
            _ = try await eventually("the other leads", timeout: 30) { () -> Bool? in
                nodes.first { $0 !== first }!.epoch != nil ? true : nil
            }
        }
    }

    @Test func aLeaderStepsDownWhileTheDatabaseIsGoneAndOneLeadsAgainWhenItReturns() async throws {
        try await Self.with(nodes: 2) { server, nodes in
            let first = try await eventually("one leader", timeout: 30) { () -> Node? in
                Self.leaders(nodes).count == 1 ? Self.leaders(nodes)[0] : nil
            }
            let before = try #require(first.epoch)
            try server.halt()
            _ = try await eventually("no leader while the database is gone", timeout: 30) { () -> Bool? in
                Self.leaders(nodes).isEmpty ? true : nil
            }
            try server.resume()
            let again = try await eventually("a leader again", timeout: 60) { () -> Node? in
                Self.leaders(nodes).count == 1 ? Self.leaders(nodes)[0] : nil
            }
            #expect(try #require(again.epoch) > before)
        }
    }
}
