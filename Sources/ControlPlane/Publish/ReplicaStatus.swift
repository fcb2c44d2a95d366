import Shared

/// What the control plane knows about one data-plane replica, as `/dataplanes` shows it.
package struct ReplicaStatus: Sendable, Equatable {
    package struct Nack: Sendable, Equatable {
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
    /// A remote replica's address as this control plane sees it (`IP:PORT`); `nil` on the Unix
    /// socket.
    package var address: String? = nil
    /// The software version it said in `hello`.
    package var softwareVersion: String? = nil
    /// The checksum of the snapshot it serves, from its last heartbeat.
    package var snapshotChecksum: String? = nil
    package var lastHeartbeat: String? = nil
    /// Why this control plane refused the replica; it is then not connected.
    package var refused: String? = nil

    /// Whether the replica runs on this machine (on the Unix socket), where its pid means a process here.
    package var isLocal: Bool { address == nil }
}
