/// `POST /dataplanes/rollout` body (optional): how many replicas to end with.
package struct RolloutRequest: Codable, Sendable, Equatable {
    package var replicas: Int?

    package init(replicas: Int? = nil) {
        self.replicas = replicas
    }
}
