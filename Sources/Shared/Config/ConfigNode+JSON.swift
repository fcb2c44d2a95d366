import Foundation

extension ConfigNode {
    /// Parses a JSON document into a node tree (JSON carries no line numbers).
    ///
    /// - Throws: ``ValidationError`` describing where the JSON is malformed.
    public static func parseJSON(_ data: Data) throws(ValidationError) -> ConfigNode {
        do {
            return ConfigNode(try JSONDecoder().decode(JSONValue.self, from: data).value)
        } catch let error as DecodingError {
            throw ValidationError([ValidationIssue(field: nil, line: nil, message: "invalid JSON: \(error.summary)")])
        } catch {
            throw ValidationError([ValidationIssue(field: nil, line: nil, message: "invalid JSON: \(error)")])
        }
    }
}

/// Decodes any JSON value while keeping booleans, integers and other numbers apart.
private struct JSONValue: Decodable {
    var value: ConfigValue

    init(from decoder: any Decoder) throws {
        if var array = try? decoder.unkeyedContainer() {
            var items: [ConfigNode] = []
            while !array.isAtEnd {
                items.append(ConfigNode(try array.decode(JSONValue.self).value))
            }
            value = .array(items)
            return
        }
        if let object = try? decoder.container(keyedBy: AnyKey.self) {
            value = .object(
                try object.allKeys.sorted { $0.stringValue < $1.stringValue }.map { key in
                    ConfigMember(
                        key: key.stringValue, value: ConfigNode(try object.decode(JSONValue.self, forKey: key).value))
                }
            )
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() {
            value = .null
        } else if let bool = try? single.decode(Bool.self) {
            value = .bool(bool)
        } else if let int = try? single.decode(Int.self) {
            value = .int(int)
        } else if let double = try? single.decode(Double.self) {
            value = .double(double)
        } else {
            value = .string(try single.decode(String.self))
        }
    }
}

private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension DecodingError {
    /// A short text without Foundation's nested underlying errors.
    var summary: String {
        switch self {
        case .dataCorrupted(let context), .keyNotFound(_, let context), .typeMismatch(_, let context),
            .valueNotFound(_, let context):
            if let underlying = context.underlyingError as NSError?,
                let detail = underlying.userInfo[NSDebugDescriptionErrorKey] as? String
            {
                return detail
            }
            return context.debugDescription
        @unknown default:
            return "\(self)"
        }
    }
}
