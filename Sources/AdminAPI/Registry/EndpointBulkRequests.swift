import Shared

/// `PUT /registry/endpoints` body: the API-owned endpoints as they should be afterwards.
package struct EndpointSetRequest: Codable, Sendable, Equatable {
    package var endpoints: [EndpointConfig]

    package init(endpoints: [EndpointConfig]) {
        self.endpoints = endpoints
    }
}

/// `POST /registry/endpoints:batch` body: endpoints to create or replace, and names to remove.
package struct EndpointBatchRequest: Codable, Sendable, Equatable {
    package var upsert: [EndpointConfig]?
    package var remove: [String]?

    package init(upsert: [EndpointConfig]? = nil, remove: [String]? = nil) {
        self.upsert = upsert
        self.remove = remove
    }
}
