import AdminAPI
import Logging
import NIOCore
import PostgresNIO
import Shared

/// One transaction of the PostgreSQL store on one connection. Its calls block on the
/// connection's answers: it runs on the store's own threads, never on an event loop.
final class PostgresTransaction: StoreTransaction {
    let connection: PostgresConnection
    let lease: LeaderLease?
    /// How long one statement may take: past it, the connection is closed and the statement fails.
    let statementTimeout: TimeAmount
    let logger: Logger

    init(connection: PostgresConnection, lease: LeaderLease?, statementTimeout: TimeAmount, logger: Logger) {
        self.connection = connection
        self.lease = lease
        self.statementTimeout = statementTimeout
        self.logger = logger
    }

    /// Runs `query` and waits for its rows, at most ``statementTimeout``: a database that stopped
    /// answering (halted, or a network that drops everything) must not hold the store's thread,
    /// and every commit queued behind it, for longer.
    @discardableResult
    func run(_ query: PostgresQuery) throws -> [PostgresRow] {
        let loop = connection.eventLoop
        let answer = loop.makePromise(of: PostgresQueryResult.self)
        connection.query(query, logger: logger).cascade(to: answer)
        let timer = loop.scheduleTask(in: statementTimeout) { answer.fail(StatementTimedOut()) }
        defer { timer.cancel() }
        do {
            return try answer.futureResult.wait().rows
        } catch let error as StatementTimedOut {
            // Its answer may still come: the connection is not used again.
            connection.close().whenComplete { _ in }
            throw error
        }
    }

    struct StatementTimedOut: Error {}

    // MARK: Endpoints

    private static let endpointColumns = "config, owner, status, registered_at, seq"

    private func endpoints(_ query: PostgresQuery) throws -> [EndpointRecord] {
        try run(query).map { row in
            let (config, owner, status, registeredAt, seq) = try row.decode((String, String, String, String, Int).self)
            return try EndpointRecord(
                configJSON: config, owner: owner, status: status, registeredAt: registeredAt, seq: seq)
        }
    }

    func allEndpoints() throws -> [EndpointRecord] {
        try endpoints("SELECT config, owner, status, registered_at, seq FROM endpoint ORDER BY seq")
    }

    func endpoint(named name: String) throws -> EndpointRecord? {
        try endpoints("SELECT config, owner, status, registered_at, seq FROM endpoint WHERE name = \(name)").first
    }

    func endpoint(url: String) throws -> EndpointRecord? {
        try endpoints("SELECT config, owner, status, registered_at, seq FROM endpoint WHERE url = \(url)").first
    }

    func highestEndpointSeq() throws -> Int? {
        try run("SELECT MAX(seq) FROM endpoint").first?.decode(Int?.self)
    }

    func save(_ record: EndpointRecord) throws {
        try run(
            """
            INSERT INTO endpoint (name, url, owner, config, status, registered_at, seq)
            VALUES (\(record.name), \(record.config.url), \(record.owner.rawValue), \(record.configJSON),
                \(record.status.rawValue), \(record.registeredAt), \(record.seq))
            ON CONFLICT (name) DO UPDATE SET url = EXCLUDED.url, owner = EXCLUDED.owner,
                config = EXCLUDED.config, status = EXCLUDED.status,
                registered_at = EXCLUDED.registered_at, seq = EXCLUDED.seq
            """)
    }

    func deleteEndpoint(named name: String) throws {
        try run("DELETE FROM endpoint WHERE name = \(name)")
    }

    func deleteEndpoints(ownedBy owner: EndpointOwner?) throws {
        if let owner {
            try run("DELETE FROM endpoint WHERE owner = \(owner.rawValue)")
        } else {
            try run("DELETE FROM endpoint")
        }
    }

    // MARK: Settings

    func setting(_ key: String) throws -> String? {
        try run("SELECT value FROM setting WHERE key = \(key)").first?.decode(String.self)
    }

    func setSetting(_ key: String, to value: String?) throws {
        guard let value else {
            try run("DELETE FROM setting WHERE key = \(key)")
            return
        }
        try run(
            """
            INSERT INTO setting (key, value) VALUES (\(key), \(value))
            ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value
            """)
    }

    // MARK: Snapshots

    func insertSnapshot(_ row: SnapshotRow) throws {
        try run(
            """
            INSERT INTO snapshot (version, created_at, cause, checksum, body, endpoints_count, delta, seqs)
            VALUES (\(row.version), \(row.createdAt), \(row.cause), \(row.checksum), \(row.body),
                \(row.endpointsCount), \(row.delta), \(row.seqs))
            """)
    }

    private func snapshotRows(_ query: PostgresQuery) throws -> [SnapshotRow] {
        try run(query).map { row in
            let (version, createdAt, cause, checksum, body, count, delta, seqs) = try row.decode(
                (Int, String, String, String, String, Int, String?, String?).self)
            return SnapshotRow(
                version: version, createdAt: createdAt, cause: cause, checksum: checksum, body: body,
                endpointsCount: count, delta: delta, seqs: seqs)
        }
    }

    func snapshotRow(version: Int) throws -> SnapshotRow? {
        try snapshotRows(
            """
            SELECT version, created_at, cause, checksum, body, endpoints_count, delta, seqs
            FROM snapshot WHERE version = \(version)
            """
        ).first
    }

    func baseRow(before version: Int) throws -> SnapshotRow? {
        try snapshotRows(
            """
            SELECT version, created_at, cause, checksum, body, endpoints_count, delta, seqs
            FROM snapshot WHERE seqs IS NOT NULL AND version < \(version) ORDER BY version DESC LIMIT 1
            """
        ).first
    }

    func snapshotChanges(after: Int, before: Int) throws -> [String] {
        try run(
            "SELECT delta FROM snapshot WHERE version > \(after) AND version < \(before) AND delta IS NOT NULL ORDER BY version"
        )
        .map { try $0.decode(String.self) }
    }

    private func optionalInt(_ query: PostgresQuery) throws -> Int? {
        try run(query).first?.decode(Int?.self)
    }

    func newestSnapshotVersion() throws -> Int? {
        try optionalInt("SELECT MAX(version) FROM snapshot")
    }

    func oldestSnapshotVersion() throws -> Int? {
        try optionalInt("SELECT MIN(version) FROM snapshot")
    }

    func newestBaseVersion() throws -> Int? {
        try optionalInt("SELECT MAX(version) FROM snapshot WHERE seqs IS NOT NULL")
    }

    func newestWholeVersion(atMost version: Int) throws -> Int? {
        try optionalInt("SELECT MAX(version) FROM snapshot WHERE delta IS NULL AND version <= \(version)")
    }

    func chainSizes(from base: Int) throws -> (baseBytes: Int, changeBytes: Int, changes: Int, newest: Int)? {
        guard
            let row = try run(
                """
                SELECT (SELECT octet_length(body) FROM snapshot WHERE version = \(base))::BIGINT,
                    COALESCE(SUM(octet_length(delta)), 0)::BIGINT, COUNT(delta)::BIGINT, MAX(version)
                FROM snapshot WHERE version >= \(base)
                """
            ).first
        else { return nil }
        let (baseBytes, changeBytes, changes, newest) = try row.decode((Int?, Int, Int, Int?).self)
        guard let newest else { return nil }
        return (baseBytes ?? 0, changeBytes, changes, newest)
    }

    func deleteSnapshots(before version: Int) throws {
        try run("DELETE FROM snapshot WHERE version < \(version)")
    }

    func snapshotSummaries(before: Int?, limit: Int, offset: Int) throws -> [SnapshotSummary] {
        try run(
            """
            SELECT version, created_at, cause, checksum, endpoints_count FROM snapshot
            WHERE version < \(before ?? Int.max) ORDER BY version DESC LIMIT \(limit) OFFSET \(offset)
            """
        ).map { row in
            let (version, createdAt, cause, checksum, count) = try row.decode((Int, String, String, String, Int).self)
            return SnapshotSummary(
                version: version, createdAt: createdAt, cause: cause, checksum: checksum, endpointsCount: count)
        }
    }

    func snapshotCount() throws -> Int {
        try run("SELECT COUNT(*) FROM snapshot").first?.decode(Int.self) ?? 0
    }

    func withSavepoint<T>(_ body: () throws -> T) throws -> T {
        try withSavepoint(executing: { try run(PostgresQuery(unsafeSQL: $0)) }, body)
    }

    // MARK: Cluster

    func announce(version: Int) throws {
        try run(RevisionWatcher.notify(Int64(version)))
    }

    func fence(epoch: Int64) throws {
        guard let lease else { return }
        let rows = try run(lease.fenceQuery(epoch: epoch))
        guard !rows.isEmpty else { throw LeaderLease.LeaseError.fenced(epoch: epoch) }
    }
}
