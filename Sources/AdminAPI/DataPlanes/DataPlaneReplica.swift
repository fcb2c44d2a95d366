/// One data-plane replica the control plane knows, as `/dataplanes` shows it.
package struct DataPlaneReplica: Codable, Sendable, Equatable {
    /// The last snapshot the replica refused, and why.
    package struct Nack: Codable, Sendable, Equatable {
        package var version: Int
        package var error: String
        package var time: String

        package init(version: Int, error: String, time: String) {
            self.version = version
            self.error = error
            self.time = time
        }
    }

    package var replicaId: String
    /// The `replica` label of its metrics (`1`, `2`, ...); replicas that replace each other share it.
    package var slot: String
    package var pid: Int
    package var supervised: Bool
    package var connected: Bool
    @NullEncoded package var ackedVersion: Int?
    /// Whether the replica has not acknowledged the current snapshot.
    package var behind: Bool
    @NullEncoded package var lastNack: Nack?
    package var connectedAt: String
    package var lastContact: String
    @NullEncoded package var requests: Int?
    package var draining: Bool
    /// The seq of the last health update the replica applied on top of its snapshot (`null`
    /// before its first).
    @NullEncoded package var healthSeq: Int?
    /// A remote replica's address as the control plane sees it (`IP:PORT`); `null` on the
    /// control socket.
    @NullEncoded package var address: String?
    /// The name (`--node-name`) of the control plane the replica is connected to.
    package var controlPlane: String
    /// The replica's software version, from its hello; `null` from replicas that predate it.
    @NullEncoded package var softwareVersion: String?
    /// The checksum of the snapshot it serves, from its last heartbeat.
    @NullEncoded package var snapshotChecksum: String?
    @NullEncoded package var lastHeartbeat: String?
    /// Why the control plane refused the replica (then not connected); `null` otherwise.
    @NullEncoded package var refused: String?

    package init(
        replicaId: String, slot: String, pid: Int, supervised: Bool, connected: Bool, ackedVersion: Int? = nil,
        behind: Bool, lastNack: Nack? = nil, connectedAt: String, lastContact: String, requests: Int? = nil,
        draining: Bool, healthSeq: Int? = nil, address: String? = nil, controlPlane: String = "",
        softwareVersion: String? = nil, snapshotChecksum: String? = nil, lastHeartbeat: String? = nil,
        refused: String? = nil
    ) {
        self.address = address
        self.controlPlane = controlPlane
        self.softwareVersion = softwareVersion
        self.snapshotChecksum = snapshotChecksum
        self.lastHeartbeat = lastHeartbeat
        self.refused = refused
        self.replicaId = replicaId
        self.slot = slot
        self.pid = pid
        self.supervised = supervised
        self.connected = connected
        self.ackedVersion = ackedVersion
        self.behind = behind
        self.lastNack = lastNack
        self.connectedAt = connectedAt
        self.lastContact = lastContact
        self.requests = requests
        self.draining = draining
        self.healthSeq = healthSeq
    }

    enum CodingKeys: String, CodingKey {
        case replicaId = "replica_id"
        case slot
        case pid
        case supervised
        case connected
        case ackedVersion = "acked_version"
        case behind
        case lastNack = "last_nack"
        case connectedAt = "connected_at"
        case lastContact = "last_contact"
        case requests
        case draining
        case healthSeq = "health_seq"
        case address
        case controlPlane = "control_plane"
        case softwareVersion = "software_version"
        case snapshotChecksum = "snapshot_checksum"
        case lastHeartbeat = "last_heartbeat"
        case refused
    }
}
