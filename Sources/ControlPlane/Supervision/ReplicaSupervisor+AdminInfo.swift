extension ReplicaSupervisor {
    /// The running replicas as `/dataplanes` lists them under `supervised`
    /// (`AdminServices(..., supervisedReplicas: { supervisor.supervisedReplicaInfo })`).
    package var supervisedReplicaInfo: [SupervisedReplicaInfo] {
        ReplicaRegistryFile.entries(replicas).map { entry in
            SupervisedReplicaInfo(
                pid: Int(entry.pid), slot: entry.slot, startedAt: entry.startedAt, restarts: entry.restarts)
        }
    }
}
