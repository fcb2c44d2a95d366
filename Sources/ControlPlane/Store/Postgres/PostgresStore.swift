import Logging
import NIOPosix
import PostgresNIO
import ServiceLifecycle

/// The store of control planes sharing one PostgreSQL database: the same tables as the SQLite
/// store (``ClusterSchema``), on a pool of connections (``client``, which the caller runs).
///
/// Writers of every control plane take one transaction-level advisory lock first, so commits
/// run one at a time cluster-wide and each sees the one before it; no session state that a
/// connection pooler could lose. A transaction that gets no answer within ``timeout`` fails
/// with ``StoreUnavailable`` (the admin API answers 503), and nothing of it is kept.
package final class PostgresStore: ConfigStore {
    /// The transaction-level advisory lock every writer takes.
    static let writeLock: Int64 = 7_405_002

    package let client: PostgresClient
    let lease: LeaderLease?
    let timeout: Duration
    /// ``timeout`` as each statement's bound.
    private let statementTimeout: TimeAmount
    let logger: Logger
    /// Where transactions block on their connection's answers: never an event loop.
    private let threads: NIOThreadPool

    package init(client: PostgresClient, lease: LeaderLease?, timeout: Duration = .seconds(5), logger: Logger) {
        self.client = client
        self.lease = lease
        self.timeout = timeout
        statementTimeout = .milliseconds(timeout.milliseconds)
        self.logger = logger
        threads = NIOThreadPool(numberOfThreads: 4)
        threads.start()
    }

    deinit {
        threads.shutdownGracefully { _ in }
    }

    package func writeTransaction<T: Sendable>(
        _ body: @escaping @Sendable (any StoreTransaction) throws -> T
    ) async throws -> T {
        try await transaction(begin: "BEGIN ISOLATION LEVEL READ COMMITTED", lock: true, body)
    }

    package func readTransaction<T: Sendable>(
        _ body: @escaping @Sendable (any StoreTransaction) throws -> T
    ) async throws -> T {
        try await transaction(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", lock: false, body)
    }

    private func transaction<T: Sendable>(
        begin: PostgresQuery, lock: Bool, _ body: @escaping @Sendable (any StoreTransaction) throws -> T
    ) async throws -> T {
        let (lease, logger, threads, statementTimeout) = (self.lease, self.logger, self.threads, self.statementTimeout)
        do {
            return try await TimeLimit.within(timeout) { [client] in
                // A pooled connection the server ended while it was idle fails at `BEGIN`, before
                // anything ran: the transaction starts again once, on another connection.
                var attempts = 0
                while true {
                    attempts += 1
                    do {
                        return try await client.withConnection { connection in
                            try await threads.runIfActive {
                                try Self.run(
                                    begin: begin, lock: lock, body,
                                    on: PostgresTransaction(
                                        connection: connection, lease: lease, statementTimeout: statementTimeout,
                                        logger: logger))
                            }
                        }
                    } catch let error as BeginFailed {
                        guard attempts < 2, let cause = error.cause as? PSQLError, Self.isUnavailability(cause) else {
                            throw error.cause
                        }
                    }
                }
            }
        } catch let error as TimeLimit.Exceeded {
            throw StoreUnavailable(reason: "the database did not answer within \(error.limit)")
        } catch is PostgresTransaction.StatementTimedOut {
            throw StoreUnavailable(reason: "the database did not answer within \(timeout)")
        } catch let error as PSQLError where Self.isUnavailability(error) {
            throw StoreUnavailable(reason: "the database is unreachable (\(error.code))")
        }
    }

    /// Runs `body` in one transaction on `transaction`'s connection; a failed `BEGIN` is
    /// ``BeginFailed``, since nothing ran yet.
    private static func run<T>(
        begin: PostgresQuery, lock: Bool, _ body: (any StoreTransaction) throws -> T,
        on transaction: PostgresTransaction
    ) throws -> T {
        do {
            try transaction.run(begin)
        } catch {
            throw BeginFailed(cause: error)
        }
        do {
            if lock { try transaction.run("SELECT pg_advisory_xact_lock(\(Self.writeLock))") }
            let result = try body(transaction)
            try transaction.run("COMMIT")
            return result
        } catch {
            _ = try? transaction.run("ROLLBACK")
            throw error
        }
    }

    /// A transaction that failed at its `BEGIN`: nothing of it ran.
    private struct BeginFailed: Error {
        var cause: any Error
    }

    /// Errors of the connection rather than of the statement: the database is away.
    static func isUnavailability(_ error: PSQLError) -> Bool {
        switch error.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown,
            .poolClosed:
            return true
        case .server:
            // 57P01..57P03: the server is shutting down or starting; 08xxx: connection exceptions.
            let state = error.serverInfo?[.sqlState] ?? ""
            return state.hasPrefix("57P") || state.hasPrefix("08")
        default:
            return false
        }
    }
}

/// The shared database does not answer: nothing of the change was kept.
package struct StoreUnavailable: Error, CustomStringConvertible {
    package var reason: String
    package var description: String { "the store is unavailable: \(reason)" }
}
