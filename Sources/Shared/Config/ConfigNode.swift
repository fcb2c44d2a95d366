/// A parsed configuration value with the line it came from, so that validation errors can point
/// at the line of a YAML document. JSON documents carry no lines.
public struct ConfigNode: Sendable, Equatable {
    /// The value at this node.
    public var value: ConfigValue
    /// The 1-based line of the node in its source document, when known.
    public var line: Int?

    public init(_ value: ConfigValue, line: Int? = nil) {
        self.value = value
        self.line = line
    }
}

/// One key of a mapping, with the line the key stands on.
public struct ConfigMember: Sendable, Equatable {
    public var key: String
    public var keyLine: Int?
    public var value: ConfigNode

    public init(key: String, keyLine: Int? = nil, value: ConfigNode) {
        self.key = key
        self.keyLine = keyLine
        self.value = value
    }
}

/// The value tree both YAML and JSON documents are read into before validation.
public enum ConfigValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([ConfigNode])
    /// Members in document order; duplicates are kept so that validation can report them.
    case object([ConfigMember])

    /// A short name of the value's type, for error messages.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int: "an integer"
        case .double: "a number"
        case .string: "a string"
        case .array: "a list"
        case .object: "a mapping"
        }
    }
}
