import Shared
import Synchronization

/// The version and checksum of the snapshot a replica serves, set by each install and read by
/// the heartbeat.
package final class ServedSnapshot: Sendable {
    private let state: Mutex<DataPlaneMessage.Heartbeat>

    package init(_ snapshot: Snapshot? = nil) {
        state = Mutex(DataPlaneMessage.Heartbeat(version: snapshot?.version, checksum: snapshot?.checksum))
    }

    package func set(_ snapshot: Snapshot) {
        state.withLock { $0 = DataPlaneMessage.Heartbeat(version: snapshot.version, checksum: snapshot.checksum) }
    }

    /// What the next heartbeat says.
    package var heartbeat: DataPlaneMessage.Heartbeat { state.withLock { $0 } }
}

/// The control plane's `refused` message: it will not serve this replica, and why.
package struct ControlPlaneRefusal: Error, Sendable, Equatable {
    package var reason: String
}
