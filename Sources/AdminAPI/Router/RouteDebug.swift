/// `GET /router/debug/{path}`: how a path resolves, with the exact upstream URL. A match has
/// `relative_path` and `would_forward_to`; a miss has `error` instead.
package struct RouteDebug: Codable, Sendable, Equatable {
    /// The endpoint the path resolves to.
    package struct MatchedEndpoint: Codable, Sendable, Equatable {
        package var endpointId: String
        package var name: String
        package var url: String
        package var methods: [String]
        package var status: String

        package init(endpointId: String, name: String, url: String, methods: [String], status: String) {
            self.endpointId = endpointId
            self.name = name
            self.url = url
            self.methods = methods
            self.status = status
        }

        enum CodingKeys: String, CodingKey {
            case endpointId = "endpoint_id"
            case name
            case url
            case methods
            case status
        }
    }

    package var inputPath: String
    package var normalizedPath: String
    @NullEncoded package var matchedEndpoint: MatchedEndpoint?
    package var relativePath: String?
    package var wouldForwardTo: String?
    /// For a pool: the upstream `would_forward_to` names, and the upstreams in the rotation.
    package var upstream: String?
    package var upstreamsInRotation: [String]?
    package var error: String?

    package init(
        inputPath: String, normalizedPath: String, matchedEndpoint: MatchedEndpoint? = nil,
        relativePath: String? = nil, wouldForwardTo: String? = nil, upstream: String? = nil,
        upstreamsInRotation: [String]? = nil, error: String? = nil
    ) {
        self.upstream = upstream
        self.upstreamsInRotation = upstreamsInRotation
        self.inputPath = inputPath
        self.normalizedPath = normalizedPath
        self.matchedEndpoint = matchedEndpoint
        self.relativePath = relativePath
        self.wouldForwardTo = wouldForwardTo
        self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case inputPath = "input_path"
        case normalizedPath = "normalized_path"
        case matchedEndpoint = "matched_endpoint"
        case relativePath = "relative_path"
        case wouldForwardTo = "would_forward_to"
        case upstream
        case upstreamsInRotation = "upstreams_in_rotation"
        case error
    }
}
