import Shared

/// What the control plane knows about one data-plane replica, as `/dataplanes` shows it.
package struct ReplicaStatus: Sendable, Codable, Equatable {
    package struct Nack: Sendable, Codable, Equatable {
        package var version: Int
        package var error: String
        package var time: String
    }

    package var replicaId: String
    /// The replica's stable slot: the `replica` label of its metrics (`1`, `2`, ...). Replicas
    /// that replace each other share it.
    package var slot: String
    package var pid: Int
    package var supervised: Bool
    package var connected: Bool
    package var ackedVersion: Int?
    /// Whether the replica has not acknowledged the current snapshot.
    package var behind: Bool
    package var lastNack: Nack?
    package var connectedAt: String
    package var lastContact: String
    package var requests: Int?
    package var draining: Bool
    /// The seq of the last health update the replica applied (``HealthUpdate/seq``).
    package var healthSeq: Int?

    enum CodingKeys: String, CodingKey {
        case replicaId = "replica_id"
        case slot, pid, supervised, connected
        case ackedVersion = "acked_version"
        case behind
        case lastNack = "last_nack"
        case connectedAt = "connected_at"
        case lastContact = "last_contact"
        case requests, draining
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(replicaId, forKey: .replicaId)
        try container.encode(slot, forKey: .slot)
        try container.encode(pid, forKey: .pid)
        try container.encode(supervised, forKey: .supervised)
        try container.encode(connected, forKey: .connected)
        try container.encode(ackedVersion, forKey: .ackedVersion)
        try container.encode(behind, forKey: .behind)
        try container.encode(lastNack, forKey: .lastNack)
        try container.encode(connectedAt, forKey: .connectedAt)
        try container.encode(lastContact, forKey: .lastContact)
        try container.encode(requests, forKey: .requests)
        try container.encode(draining, forKey: .draining)
    }
}
