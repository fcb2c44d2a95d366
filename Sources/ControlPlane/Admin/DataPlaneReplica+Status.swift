import AdminAPI
import Foundation
import Shared

extension DataPlaneReplica {
    /// What the publisher knows about one replica, as `/dataplanes` shows it; `controlPlane`
    /// is this control plane's name.
    init(_ status: ReplicaStatus, controlPlane: String) {
        self.init(
            replicaId: status.replicaId, slot: status.slot, pid: status.pid, supervised: status.supervised,
            connected: status.connected, ackedVersion: status.ackedVersion, behind: status.behind,
            lastNack: status.lastNack.map { Nack(version: $0.version, error: $0.error, time: $0.time) },
            connectedAt: status.connectedAt, lastContact: status.lastContact, requests: status.requests,
            draining: status.draining, healthSeq: status.healthSeq, address: status.address,
            controlPlane: controlPlane, softwareVersion: status.softwareVersion,
            snapshotChecksum: status.snapshotChecksum, lastHeartbeat: status.lastHeartbeat, refused: status.refused)
    }
}

extension SupervisedReplica {
    /// What the supervisor knows about one slot, as `/dataplanes` shows it.
    init(_ status: ReplicaProcessStatus) {
        self.init(
            slot: status.slot, state: status.state.rawValue, pid: status.pid,
            startedAt: status.startedAt.map(Timestamp.string), restarts: status.restarts,
            lastExit: status.lastExit?.description, lastExitAt: status.lastExitAt.map(Timestamp.string),
            lastError: status.lastError)
    }
}

extension RolloutProgress {
    /// Where the supervisor's rollout stands, as `/dataplanes/rollout` shows it.
    init(_ status: RolloutStatus) {
        self.init(
            state: status.state.rawValue, startedAt: status.startedAt.map(Timestamp.string),
            finishedAt: status.finishedAt.map(Timestamp.string), replaced: status.replaced, total: status.total,
            error: status.error,
            steps: status.steps.map { Step(slot: $0.slot, oldPid: $0.oldPid, newPid: $0.newPid) })
    }
}
