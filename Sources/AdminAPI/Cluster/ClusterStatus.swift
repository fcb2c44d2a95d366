/// `GET /cluster`: the control planes sharing this one's store, and who leads them.
package struct ClusterStatus: Codable, Sendable, Equatable {
    /// `sqlite` (one control plane) or `postgres` (a cluster).
    package var store: String
    /// This control plane's name (`--node-name`).
    package var node: String
    /// `leader` or `follower`; one control plane on SQLite always leads.
    package var role: String
    /// The lease's holder, epoch and expiry; `null` on SQLite and before anyone took it.
    @NullEncoded package var leader: ClusterLeader?
    /// Every control plane that ever joined, by name, with its last heartbeat.
    package var members: [ClusterMemberStatus]
    /// The newest snapshot version this control plane publishes.
    package var currentVersion: Int

    package init(
        store: String, node: String, role: String, leader: ClusterLeader?, members: [ClusterMemberStatus],
        currentVersion: Int
    ) {
        self.store = store
        self.node = node
        self.role = role
        self.leader = leader
        self.members = members
        self.currentVersion = currentVersion
    }

    enum CodingKeys: String, CodingKey {
        case store, node, role, leader, members
        case currentVersion = "current_version"
    }
}

/// The leader lease as the database holds it.
package struct ClusterLeader: Codable, Sendable, Equatable {
    package var node: String
    /// The fencing epoch: it grows each time the lease changes hands.
    package var epoch: Int64
    /// When the lease lapses unless renewed (the database's clock).
    package var expiresAt: String

    package init(node: String, epoch: Int64, expiresAt: String) {
        self.node = node
        self.epoch = epoch
        self.expiresAt = expiresAt
    }

    enum CodingKeys: String, CodingKey {
        case node, epoch
        case expiresAt = "expires_at"
    }
}

/// One control plane of the cluster.
package struct ClusterMemberStatus: Codable, Sendable, Equatable {
    package var node: String
    package var adminAddress: String
    package var softwareVersion: String
    package var startedAt: String
    package var lastHeartbeat: String
    /// Seconds since the last heartbeat, by the answering control plane's clock.
    package var heartbeatAgeSeconds: Double
    package var leader: Bool

    package init(
        node: String, adminAddress: String, softwareVersion: String, startedAt: String, lastHeartbeat: String,
        heartbeatAgeSeconds: Double, leader: Bool
    ) {
        self.node = node
        self.adminAddress = adminAddress
        self.softwareVersion = softwareVersion
        self.startedAt = startedAt
        self.lastHeartbeat = lastHeartbeat
        self.heartbeatAgeSeconds = heartbeatAgeSeconds
        self.leader = leader
    }

    enum CodingKeys: String, CodingKey {
        case node, leader
        case adminAddress = "admin_address"
        case softwareVersion = "software_version"
        case startedAt = "started_at"
        case lastHeartbeat = "last_heartbeat"
        case heartbeatAgeSeconds = "heartbeat_age_seconds"
    }
}
