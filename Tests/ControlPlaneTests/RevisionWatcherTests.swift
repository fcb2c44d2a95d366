import Foundation
import Logging
import PostgresNIO
import TestSupport
import Testing

@testable import ControlPlane

/// How a control plane hears of revisions another one committed, against a real PostgreSQL:
/// by notification at once, and by the periodic re-read when a notification is lost.
@Suite(.endToEnd, .enabled(if: PostgresServer.shouldRun, PostgresServer.skipReason)) struct RevisionWatcherTests {
    static let logger = Logger(label: "test.revisions")

    /// What the watcher handed on, in order.
    final class Heard: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [Int64] = []
        func append(_ value: Int64) { lock.withLock { values.append(value) } }
        var all: [Int64] { lock.withLock { values } }
    }

    /// A server with a `revision` table, a client, and a running watcher; all stopped at the end.
    static func with(
        reread: Duration, reconnect: Duration,
        _ body: (PostgresServer, PostgresClient, Heard) async throws -> Void
    ) async throws {
        let server = try await PostgresServer.start()
        defer { server.stop() }
        guard case .postgres(let location) = try DatabaseURL(parsing: server.url) else { return }
        let client = PostgresClient(configuration: location.configuration(), backgroundLogger: logger)
        let clientTask = Task { await client.run() }
        defer { clientTask.cancel() }
        try await client.query("CREATE TABLE revision (revision BIGINT PRIMARY KEY)")
        try await commit(1, client, notify: false)
        let heard = Heard()
        let watcher = RevisionWatcher(
            client: client, rereadInterval: reread, reconnectDelay: reconnect, logger: logger,
            newest: {
                let rows = try await client.query("SELECT coalesce(max(revision), 0) FROM revision")
                for try await newest in rows.decode(Int64.self) { return newest }
                return 0
            }, changed: { heard.append($0) })
        let watching = Task { try await watcher.run() }
        defer { watching.cancel() }
        // The listener re-reads once it listens: revision 1 arrives then.
        _ = try await eventually("revision 1 heard", timeout: 30) { heard.all.contains(1) ? true : nil }
        try await body(server, client, heard)
    }

    /// Commits `revision`, notifying in the same transaction unless told not to. A transaction
    /// that could not even begin (the pool handed out a connection the test just terminated)
    /// is tried again: nothing of it ran.
    static func commit(_ revision: Int64, _ client: PostgresClient, notify: Bool = true) async throws {
        for attempt in 1...3 {
            do {
                try await client.withTransaction(logger: logger) { connection in
                    try await connection.query(
                        "INSERT INTO revision (revision) VALUES (\(revision))", logger: logger)
                    if notify { try await connection.query(RevisionWatcher.notify(revision), logger: logger) }
                }
                return
            } catch let error as PostgresTransactionError where error.beginError != nil && attempt < 3 {
                continue
            }
        }
    }

    @Test func aCommittedRevisionIsHeardByNotificationAlone() async throws {
        // No re-read within the test: only the notification can bring revision 2.
        try await Self.with(reread: .seconds(600), reconnect: .seconds(1)) { _, client, heard in
            try await Self.commit(2, client)
            _ = try await eventually("revision 2 heard", timeout: 30) { heard.all.last == 2 ? true : nil }
        }
    }

    @Test func aNotificationLostWithTheListenersConnectionDelaysAChangeByAtMostTheReread() async throws {
        // The listener would take 60 s to connect again: only the 2 s re-read can bring the change.
        try await Self.with(reread: .seconds(2), reconnect: .seconds(60)) { server, client, heard in
            let terminated = try server.psql(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query ILIKE 'LISTEN%'")
            #expect(terminated == "1")
            let clock = ContinuousClock()
            let committed = clock.now
            try await Self.commit(2, client)
            _ = try await eventually("revision 2 heard", timeout: 30) { heard.all.last == 2 ? true : nil }
            let waited = clock.now - committed
            #expect(waited < .seconds(12), "heard after \(waited)")
        }
    }

    @Test func revisionsAreHandedOnInOrderAndNeverTwice() async throws {
        try await Self.with(reread: .milliseconds(200), reconnect: .seconds(1)) { _, client, heard in
            for revision in Int64(2)...40 { try await Self.commit(revision, client) }
            _ = try await eventually("revision 40 heard", timeout: 30) { heard.all.last == 40 ? true : nil }
            let all = heard.all
            #expect(zip(all, all.dropFirst()).allSatisfy { $0 < $1 }, "\(all)")
        }
    }
}
