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

    package init(
        replicaId: String, slot: String, pid: Int, supervised: Bool, connected: Bool, ackedVersion: Int? = nil,
        behind: Bool, lastNack: Nack? = nil, connectedAt: String, lastContact: String, requests: Int? = nil,
        draining: Bool, healthSeq: Int? = nil
    ) {
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
    }
}
