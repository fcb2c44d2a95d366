/// An optional property that is written as `null` when it has no value, where a synthesized
/// `Codable` conformance would leave the key out. The admin API shows the original's fields
/// even when they are empty (`"last_health_check": null`), so its types mark those with
/// `@NullEncoded` instead of hand-writing `encode(to:)`. A missing key decodes as `nil`.
@propertyWrapper
package struct NullEncoded<Value> {
    package var wrappedValue: Value?

    package init(wrappedValue: Value?) {
        self.wrappedValue = wrappedValue
    }
}

extension NullEncoded: Encodable where Value: Encodable {
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue {
            try container.encode(wrappedValue)
        } else {
            try container.encodeNil()
        }
    }
}

extension NullEncoded: Decodable where Value: Decodable {
    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        wrappedValue = container.decodeNil() ? nil : try container.decode(Value.self)
    }
}

extension NullEncoded: Sendable where Value: Sendable {}
extension NullEncoded: Equatable where Value: Equatable {}

extension KeyedDecodingContainer {
    /// A `@NullEncoded` property whose key is absent is `nil`, as a plain optional would be.
    package func decode<Value: Decodable>(
        _ type: NullEncoded<Value>.Type, forKey key: Key
    ) throws -> NullEncoded<Value> {
        try decodeIfPresent(type, forKey: key) ?? NullEncoded(wrappedValue: nil)
    }
}
