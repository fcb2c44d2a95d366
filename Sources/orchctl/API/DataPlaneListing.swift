/// `GET /dataplanes`: every replica the control plane knows, with the version it acknowledged.
struct DataPlaneListing: Decodable, Sendable {
    struct Replica: Decodable, Sendable {
        struct Nack: Decodable, Sendable {
            var version: Int
            var error: String
            var time: String?
        }

        var replicaId: String
        var pid: Int
        var supervised: Bool?
        var connected: Bool
        var ackedVersion: Int?
        var behind: Bool
        var lastNack: Nack?
        var lastContact: String?
        var requests: Int?
        var draining: Bool?

        enum CodingKeys: String, CodingKey {
            case replicaId = "replica_id"
            case pid, supervised, connected
            case ackedVersion = "acked_version"
            case behind
            case lastNack = "last_nack"
            case lastContact = "last_contact"
            case requests, draining
        }
    }

    /// A replica process the control plane started itself (one slot of its supervisor).
    struct Supervised: Decodable, Sendable {
        var slot: Int
        var state: String?
        var pid: Int?
        var restarts: Int?
        var lastError: String?

        enum CodingKeys: String, CodingKey {
            case slot, state, pid, restarts
            case lastError = "last_error"
        }
    }

    var currentVersion: Int
    var dataplanes: [Replica]
    /// Supervised slots; informational, so a shape this version does not know is ignored.
    var supervised: [Supervised]?
    /// The running or last rollout; informational like ``supervised``.
    var rollout: RolloutProgress?

    enum CodingKeys: String, CodingKey {
        case currentVersion = "current_version"
        case dataplanes, supervised, rollout
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        currentVersion = try container.decode(Int.self, forKey: .currentVersion)
        dataplanes = try container.decode([Replica].self, forKey: .dataplanes)
        supervised = try? container.decodeIfPresent([Supervised].self, forKey: .supervised)
        rollout = try? container.decodeIfPresent(RolloutProgress.self, forKey: .rollout)
    }
}
