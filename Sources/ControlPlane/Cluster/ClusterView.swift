import AdminAPI
import Foundation
import Shared

/// What `GET /cluster` shows of a control plane on a shared database.
package struct ClusterView: Sendable {
    let election: LeaderElection

    func status(node: String, currentVersion: Int) async throws -> ClusterStatus {
        async let members = election.members()
        async let holder = election.leaseHolder()
        let (all, lease) = try await (members, holder)
        let now = Date()
        let leader = lease.map {
            ClusterLeader(node: $0.holder, epoch: $0.epoch, expiresAt: Timestamp.string($0.expiresAt))
        }
        // A lapsed lease names nobody as leading.
        let leading = lease.flatMap { $0.expiresAt > now ? $0.holder : nil }
        return ClusterStatus(
            store: "postgres", node: node, role: election.leadingEpoch == nil ? "follower" : "leader",
            leader: leader,
            members: all.map { member in
                ClusterMemberStatus(
                    node: member.node, adminAddress: member.adminAddress, softwareVersion: member.softwareVersion,
                    startedAt: Timestamp.string(member.startedAt),
                    lastHeartbeat: Timestamp.string(member.lastHeartbeat),
                    heartbeatAgeSeconds: max(0, now.timeIntervalSince(member.lastHeartbeat)),
                    leader: member.node == leading)
            },
            currentVersion: currentVersion)
    }
}
