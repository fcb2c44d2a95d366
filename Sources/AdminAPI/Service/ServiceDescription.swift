/// `GET /`: what the service is and where its route groups live.
package struct ServiceDescription: Codable, Sendable, Equatable {
    package var service: String
    package var version: String
    package var description: String
    package var endpoints: [String: String]

    package init(
        service: String = "Orchestrator API", version: String,
        description: String = "API gateway with authentication passthrough: control plane admin API",
        endpoints: [String: String]
    ) {
        self.service = service
        self.version = version
        self.description = description
        self.endpoints = endpoints
    }
}
