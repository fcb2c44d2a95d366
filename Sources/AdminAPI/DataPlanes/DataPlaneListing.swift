/// `GET /dataplanes`: every replica with the snapshot version it acknowledged, the supervised
/// slots, and the running or last rollout.
package struct DataPlaneListing: Codable, Sendable, Equatable {
    package var currentVersion: Int
    /// The seq of the newest health update sent for the current snapshot (0: none yet).
    package var currentHealthSeq: Int
    package var dataplanes: [DataPlaneReplica]
    package var supervised: [SupervisedReplica]
    package var rollout: RolloutProgress
    package var timestamp: String
    /// Pass as `cursor` for the next page of `dataplanes`; `null` on the last one.
    @NullEncoded package var nextCursor: String?

    package init(
        currentVersion: Int, currentHealthSeq: Int = 0, dataplanes: [DataPlaneReplica], supervised: [SupervisedReplica],
        rollout: RolloutProgress, timestamp: String, nextCursor: String? = nil
    ) {
        self.currentVersion = currentVersion
        self.currentHealthSeq = currentHealthSeq
        self.dataplanes = dataplanes
        self.supervised = supervised
        self.rollout = rollout
        self.timestamp = timestamp
        self.nextCursor = nextCursor
    }

    enum CodingKeys: String, CodingKey {
        case currentVersion = "current_version"
        case currentHealthSeq = "current_health_seq"
        case dataplanes
        case supervised
        case rollout
        case timestamp
        case nextCursor = "next_cursor"
    }
}
