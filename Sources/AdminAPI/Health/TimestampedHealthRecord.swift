/// `GET /health/endpoints/{id}`: the endpoint's ``HealthRecord`` with a `timestamp` beside its
/// fields (one flat object, as the original answered).
package struct TimestampedHealthRecord: Codable, Sendable, Equatable {
    package var record: HealthRecord
    package var timestamp: String

    package init(record: HealthRecord, timestamp: String) {
        self.record = record
        self.timestamp = timestamp
    }

    enum CodingKeys: String, CodingKey {
        case timestamp
    }

    package init(from decoder: any Decoder) throws {
        record = try HealthRecord(from: decoder)
        timestamp = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .timestamp)
    }

    package func encode(to encoder: any Encoder) throws {
        try record.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(timestamp, forKey: .timestamp)
    }
}
