import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// Tells this control plane about revisions other control planes committed to the shared
/// database: at once through `LISTEN`/`NOTIFY` on a dedicated connection, and by re-reading the
/// newest revision on every (re)connection of the listener and every ``rereadInterval``, so that
/// a notification lost with a dropped connection delays a change by at most that interval.
/// ``changed`` is called from one task at a time with the newest revision heard, whenever it is
/// newer than the last one handed on: increasing, never twice, and coalesced (a reader that
/// reads every revision up to the one it gets misses nothing).
package final class RevisionWatcher: Service, Sendable {
    /// The channel writers notify, with the revision as the payload.
    package static let channel = "orch_revision"

    let client: PostgresClient
    let rereadInterval: Duration
    /// How long the listener waits before connecting again after losing its connection.
    let reconnectDelay: Duration
    /// Reads the newest committed revision (0 for none).
    let newest: @Sendable () async throws -> Int64
    /// Acts on a revision newer than any before.
    let changed: @Sendable (Int64) async -> Void
    let logger: Logger
    /// The newest revision heard of.
    private let heard: Mutex<Int64>
    /// Wakes the one task that calls ``changed``; holds at most one wake-up.
    private let wake: AsyncStream<Void>.Continuation
    private let wakes: AsyncStream<Void>

    package init(
        client: PostgresClient, rereadInterval: Duration = .seconds(5), reconnectDelay: Duration = .seconds(1),
        after revision: Int64 = 0, logger: Logger, newest: @escaping @Sendable () async throws -> Int64,
        changed: @escaping @Sendable (Int64) async -> Void
    ) {
        self.client = client
        self.rereadInterval = rereadInterval
        self.reconnectDelay = reconnectDelay
        self.newest = newest
        self.changed = changed
        self.logger = logger
        heard = Mutex(revision)
        (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// The statement a writer runs in its commit's transaction: the notification leaves at commit.
    package static func notify(_ revision: Int64) -> PostgresQuery {
        "SELECT pg_notify(\(channel), \(String(revision)))"
    }

    package func run() async throws {
        let start = heard.withLock { $0 }
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { [self] in
                    var handed = start
                    for await _ in wakes {
                        let newest = heard.withLock { $0 }
                        guard newest > handed else { continue }
                        handed = newest
                        await changed(newest)
                    }
                }
                group.addTask { await self.listen() }
                group.addTask { [self] in
                    while !Task.isCancelled {
                        await reread()
                        try? await Task.sleep(for: rereadInterval)
                    }
                    wake.finish()
                }
            }
        }
    }

    /// Keeps one connection listening; after losing it, connects again and re-reads.
    private func listen() async {
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: Self.channel) { notifications in
                        // Anything committed while no one listened is read now.
                        await reread()
                        for try await notification in notifications {
                            guard let revision = Int64(notification.payload) else {
                                logger.warning(
                                    "ignoring a revision notification without a number",
                                    metadata: ["payload": "\(notification.payload.prefix(64))"])
                                continue
                            }
                            await deliver(revision)
                        }
                    }
                }
                logger.warning("the revision listener stopped; listening again")
            } catch {
                if Task.isCancelled { return }
                logger.warning(
                    "the revision listener lost its connection; listening again", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: reconnectDelay)
        }
    }

    private func reread() async {
        do {
            await deliver(try await newest())
        } catch {
            logger.warning("cannot read the newest revision", metadata: ["error": "\(error)"])
        }
    }

    /// Records `revision` and wakes the caller of ``changed`` when it is newer than any heard.
    private func deliver(_ revision: Int64) async {
        let newer = heard.withLock { heard in
            guard revision > heard else { return false }
            heard = revision
            return true
        }
        if newer { wake.yield() }
    }
}
