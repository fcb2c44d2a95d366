/// Every refusal of the admin API, in the original's shape: `{"detail": "..."}`, or for a body,
/// query or file that fails validation (422), `{"detail": [ValidationDetail, ...]}` in the
/// FastAPI style the original used.
package struct ErrorBody: Codable, Sendable, Equatable {
    /// A sentence, or one entry per bad field.
    package enum Detail: Codable, Sendable, Equatable {
        case message(String)
        case issues([ValidationDetail])

        package init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let message = try? container.decode(String.self) {
                self = .message(message)
            } else {
                self = .issues(try container.decode([ValidationDetail].self))
            }
        }

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .message(let message): try container.encode(message)
            case .issues(let issues): try container.encode(issues)
            }
        }
    }

    package var detail: Detail

    package init(detail: Detail) {
        self.detail = detail
    }
}

/// One bad field of a 422: where it is (`["body", "config", "url"]`), what is wrong, and the
/// line of the YAML document when there is one.
package struct ValidationDetail: Codable, Sendable, Equatable {
    package var type: String
    package var loc: [String]
    package var msg: String
    package var field: String?
    package var line: Int?

    package init(type: String = "value_error", loc: [String], msg: String, field: String? = nil, line: Int? = nil) {
        self.type = type
        self.loc = loc
        self.msg = msg
        self.field = field
        self.line = line
    }
}
