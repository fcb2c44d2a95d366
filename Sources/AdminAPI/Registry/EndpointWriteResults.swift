/// `POST /registry/endpoints` and `PUT /registry/endpoints/{id}`.
package struct EndpointRegistered: Codable, Sendable, Equatable {
    package var success: Bool
    package var message: String
    package var endpointId: String
    package var endpointURL: String

    package init(success: Bool = true, message: String, endpointId: String, endpointURL: String) {
        self.success = success
        self.message = message
        self.endpointId = endpointId
        self.endpointURL = endpointURL
    }

    enum CodingKeys: String, CodingKey {
        case success
        case message
        case endpointId = "endpoint_id"
        case endpointURL = "endpoint_url"
    }
}

/// `DELETE /registry/endpoints/{id}`.
package struct EndpointRemoved: Codable, Sendable, Equatable {
    package var success: Bool
    package var message: String
    package var endpointId: String

    package init(success: Bool = true, message: String, endpointId: String) {
        self.success = success
        self.message = message
        self.endpointId = endpointId
    }

    enum CodingKeys: String, CodingKey {
        case success
        case message
        case endpointId = "endpoint_id"
    }
}

/// `PUT /registry/endpoints/{id}/status`.
package struct EndpointStatusChanged: Codable, Sendable, Equatable {
    package var success: Bool
    package var message: String
    package var endpointId: String
    package var newStatus: String

    package init(success: Bool = true, message: String, endpointId: String, newStatus: String) {
        self.success = success
        self.message = message
        self.endpointId = endpointId
        self.newStatus = newStatus
    }

    enum CodingKeys: String, CodingKey {
        case success
        case message
        case endpointId = "endpoint_id"
        case newStatus = "new_status"
    }
}
