import Shared

/// `POST /config/validate`: whether an uploaded document is acceptable, with every problem.
package struct ConfigValidation: Codable, Sendable, Equatable {
    package var valid: Bool
    @NullEncoded package var errorMessage: String?
    package var errors: [ValidationIssue]
    @NullEncoded package var endpointsCount: Int?
    /// Always `null`: documents are uploaded, never read from a server-side path.
    @NullEncoded package var configPath: String?

    package init(
        valid: Bool, errorMessage: String? = nil, errors: [ValidationIssue] = [], endpointsCount: Int? = nil,
        configPath: String? = nil
    ) {
        self.valid = valid
        self.errorMessage = errorMessage
        self.errors = errors
        self.endpointsCount = endpointsCount
        self.configPath = configPath
    }

    enum CodingKeys: String, CodingKey {
        case valid
        case errorMessage = "error_message"
        case errors
        case endpointsCount = "endpoints_count"
        case configPath = "config_path"
    }
}
