import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Shared
import Synchronization

/// Keeps this control plane's membership and leader lease in the shared database: every
/// ``LeaseStateMachine/renewInterval`` it renews its member row and tries to take or renew the
/// lease, and tells subscribers when it starts or stops leading. On a graceful stop a leader
/// gives the lease up, so another node takes over at its next attempt instead of after the TTL.
package final class LeaderElection: Service, Sendable {
    package let lease: LeaderLease
    let client: PostgresClient
    private let adminAddressValue: Mutex<String>
    let startedAt: Date
    let logger: Logger
    private let machine: Mutex<LeaseStateMachine>
    private let roles = LatestValueBroadcast<LeaseStateMachine.Role>()

    package init(lease: LeaderLease, client: PostgresClient, adminAddress: String, logger: Logger) {
        self.lease = lease
        self.client = client
        adminAddressValue = Mutex(adminAddress)
        self.logger = logger
        startedAt = Date()
        machine = Mutex(LeaseStateMachine(ttl: lease.ttl))
    }

    /// The admin API's address as the member row shows it: known once the API listens.
    package var adminAddress: String {
        get { adminAddressValue.withLock { $0 } }
        set { adminAddressValue.withLock { $0 = newValue } }
    }

    /// The epoch under which this node leads now; `nil` while it follows.
    package var leadingEpoch: Int64? {
        if case .leader(let epoch) = role { epoch } else { nil }
    }

    /// Whether this node leads now, and under which epoch.
    package var role: LeaseStateMachine.Role { machine.withLock { $0.role } }

    /// The role now, then each change (the latest, when read slowly).
    package func roleChanges() -> AsyncStream<LeaseStateMachine.Role> {
        roles.subscribe(current: role)
    }

    package func run() async throws {
        let clock = ContinuousClock()
        let interval = machine.withLock { $0.renewInterval }
        try? await cancelWhenGracefulShutdown { [self] in
            while !Task.isCancelled {
                let sentAt = clock.now
                do {
                    let (holder, epoch) = try await TimeLimit.within(interval) { [self] in
                        try await heartbeat()
                        return try await lease.attempt(client, logger: logger)
                    }
                    apply(
                        machine.withLock {
                            $0.answered(holder: holder, epoch: epoch, me: lease.node, sentAt: sentAt, now: clock.now)
                        })
                } catch is CancellationError {
                    return
                } catch {
                    logger.warning("cannot renew the leader lease", metadata: ["error": "\(error)"])
                    apply(machine.withLock { $0.failed(now: clock.now) })
                }
                // Wake at the next renewal, or earlier when the lease would lapse before it.
                let next = sentAt + interval
                let deadline = machine.withLock { $0.heldUntil }.map { min($0, next) } ?? next
                try await Task.sleep(until: deadline, clock: clock)
                apply(machine.withLock { $0.tick(now: clock.now) })
            }
        }
        if case .leader(let epoch) = role {
            do {
                // In a task of its own: a stop that cancelled this one must still give the lease up.
                try await Task { [self] in
                    try await TimeLimit.within(interval) { [self] in
                        try await lease.release(epoch: epoch, client, logger: logger)
                    }
                }.value
            } catch {
                logger.warning("cannot give the leader lease up", metadata: ["error": "\(error)"])
            }
            apply(.stoppedLeading(epoch: epoch, reason: "stopping"))
            machine.withLock { $0 = LeaseStateMachine(ttl: lease.ttl) }
            roles.yield(.follower)
        }
    }

    private func apply(_ transition: LeaseStateMachine.Transition) {
        switch transition {
        case .none:
            return
        case .becameLeader(let epoch):
            logger.notice("leading the cluster", metadata: ["orch.node": "\(lease.node)", "epoch": "\(epoch)"])
        case .leadsAgain(let previous, let epoch):
            logger.notice(
                "leading the cluster under a new epoch: the lease lapsed in between",
                metadata: ["orch.node": "\(lease.node)", "epoch": "\(epoch)", "previous": "\(previous)"])
        case .stoppedLeading(let epoch, let reason):
            logger.notice(
                "no longer leading the cluster",
                metadata: ["orch.node": "\(lease.node)", "epoch": "\(epoch)", "reason": "\(reason)"])
        }
        roles.yield(role)
    }

    /// Records this node's member row: its admin address, version, start and this heartbeat.
    private func heartbeat() async throws {
        try await client.query(
            """
            INSERT INTO cluster_member (node, admin_address, software_version, started_at, last_heartbeat)
            VALUES (\(lease.node), \(adminAddress), \(ProductVersion.string), \(startedAt), now())
            ON CONFLICT (node) DO UPDATE SET admin_address = EXCLUDED.admin_address,
                software_version = EXCLUDED.software_version, started_at = EXCLUDED.started_at,
                last_heartbeat = now()
            """, logger: logger)
    }
}

/// One control plane as the shared database knows it (`cluster_member`), and the lease.
package struct ClusterMember: Sendable, Equatable {
    package var node: String
    package var adminAddress: String
    package var softwareVersion: String
    package var startedAt: Date
    package var lastHeartbeat: Date
}

extension LeaderElection {
    /// Every member, by name, as the database has them.
    package func members() async throws -> [ClusterMember] {
        let rows = try await client.query(
            """
            SELECT node, admin_address, software_version, started_at, last_heartbeat
            FROM cluster_member ORDER BY node
            """, logger: logger)
        var members: [ClusterMember] = []
        for try await (node, address, version, started, heartbeat) in rows.decode(
            (String, String, String, Date, Date).self)
        {
            members.append(
                ClusterMember(
                    node: node, adminAddress: address, softwareVersion: version, startedAt: started,
                    lastHeartbeat: heartbeat))
        }
        return members
    }

    /// Who holds the lease, under which epoch and until when (database time); `nil` before anyone took it.
    package func leaseHolder() async throws -> (holder: String, epoch: Int64, expiresAt: Date)? {
        let rows = try await client.query(
            "SELECT holder, epoch, expires_at FROM cluster_lease WHERE name = \(lease.name)", logger: logger)
        for try await row in rows.decode((String, Int64, Date).self) { return (row.0, row.1, row.2) }
        return nil
    }
}
