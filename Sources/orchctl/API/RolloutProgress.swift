/// `GET`/`POST /dataplanes/rollout`: a rolling replacement of the supervised replicas.
struct RolloutProgress: Decodable, Sendable {
    struct Step: Decodable, Sendable {
        var slot: Int
        var oldPid: Int?
        var newPid: Int?

        enum CodingKeys: String, CodingKey {
            case slot
            case oldPid = "old_pid"
            case newPid = "new_pid"
        }
    }

    /// idle, running, succeeded or failed.
    var state: String
    var startedAt: String?
    var finishedAt: String?
    var replaced: Int
    var total: Int
    var error: String?
    var steps: [Step]

    enum CodingKeys: String, CodingKey {
        case state
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case replaced, total, error, steps
    }

    var isFinished: Bool { state != "running" }
}
