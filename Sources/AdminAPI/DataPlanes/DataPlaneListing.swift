/// `GET /dataplanes`: every replica with the snapshot version it acknowledged, the supervised
/// slots, and the running or last rollout.
package struct DataPlaneListing: Codable, Sendable, Equatable {
    package var currentVersion: Int
    package var dataplanes: [DataPlaneReplica]
    package var supervised: [SupervisedReplica]
    package var rollout: RolloutProgress
    package var timestamp: String

    package init(
        currentVersion: Int, dataplanes: [DataPlaneReplica], supervised: [SupervisedReplica], rollout: RolloutProgress,
        timestamp: String
    ) {
        self.currentVersion = currentVersion
        self.dataplanes = dataplanes
        self.supervised = supervised
        self.rollout = rollout
        self.timestamp = timestamp
    }

    enum CodingKeys: String, CodingKey {
        case currentVersion = "current_version"
        case dataplanes
        case supervised
        case rollout
        case timestamp
    }
}
