/// `GET`/`POST /dataplanes/rollout`: a rolling replacement of the supervised replicas.
package struct RolloutProgress: Codable, Sendable, Equatable {
    /// One replaced (or added, or removed) replica.
    package struct Step: Codable, Sendable, Equatable {
        package var slot: Int
        /// `nil` when the slot was added by scaling up.
        @NullEncoded package var oldPid: Int32?
        /// `nil` when the slot was removed by scaling down.
        @NullEncoded package var newPid: Int32?

        package init(slot: Int, oldPid: Int32? = nil, newPid: Int32? = nil) {
            self.slot = slot
            self.oldPid = oldPid
            self.newPid = newPid
        }

        enum CodingKeys: String, CodingKey {
            case slot
            case oldPid = "old_pid"
            case newPid = "new_pid"
        }
    }

    /// `idle`, `running`, `succeeded` or `failed`.
    package var state: String
    @NullEncoded package var startedAt: String?
    @NullEncoded package var finishedAt: String?
    /// Slots done so far.
    package var replaced: Int
    /// Slots to do.
    package var total: Int
    @NullEncoded package var error: String?
    package var steps: [Step]

    package init(
        state: String, startedAt: String? = nil, finishedAt: String? = nil, replaced: Int, total: Int,
        error: String? = nil, steps: [Step]
    ) {
        self.state = state
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.replaced = replaced
        self.total = total
        self.error = error
        self.steps = steps
    }

    enum CodingKeys: String, CodingKey {
        case state
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case replaced
        case total
        case error
        case steps
    }

    /// Whether the rollout is over (or never ran).
    package var isFinished: Bool { state != "running" }
}
