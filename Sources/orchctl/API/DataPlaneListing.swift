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

    struct Supervised: Decodable, Sendable {
        var pid: Int
        var slot: Int
        var restarts: Int
    }

    var currentVersion: Int
    var dataplanes: [Replica]
    var supervised: [Supervised]?

    enum CodingKeys: String, CodingKey {
        case currentVersion = "current_version"
        case dataplanes, supervised
    }
}
