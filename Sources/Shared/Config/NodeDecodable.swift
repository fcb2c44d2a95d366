/// A type that reads itself straight from a node, which `NodeDecoder` uses instead of its
/// `Decodable` conformance: for the values a document holds thousands of, where going through
/// generic containers costs more than the parse.
package protocol NodeDecodable: Decodable {
    /// The value `value` holds, as its `Decodable` conformance would decode it; `path` is where
    /// it sits, for errors.
    init(node value: ConfigValue, path: NodePath) throws
}

/// The members of one JSON object, read as a synthesized `Decodable` conformance does: every key
/// asked for is required, other keys are ignored, and a repeated key is refused.
package struct NodeObject {
    let members: [ConfigMember]
    let path: NodePath

    package init(_ value: ConfigValue, path: NodePath) throws {
        guard case .object(let members) = value else {
            throw DecodingError.typeMismatch(
                [String: Any].self,
                .init(codingPath: path.codingPath, debugDescription: "expected an object, found \(value.typeName)"))
        }
        // Members come sorted by key: a repeated key stands next to its twin.
        if let repeated = zip(members, members.dropFirst()).first(where: { $0.key == $1.key }) {
            throw DecodingError.dataCorrupted(
                .init(codingPath: path.codingPath, debugDescription: "duplicate key '\(repeated.0.key)'"))
        }
        self.members = members
        self.path = path
    }

    /// The value of `key`, if the object has it: a binary search, since the members come sorted
    /// by key (a dictionary of 100,000 entries is read one key at a time).
    func find(_ key: String) -> ConfigValue? {
        var low = 0
        var high = members.count
        while low < high {
            let middle = (low + high) / 2
            if members[middle].key < key { low = middle + 1 } else { high = middle }
        }
        return low < members.count && members[low].key == key ? members[low].value.value : nil
    }

    package func value(_ key: String) throws -> ConfigValue {
        guard let value = find(key) else {
            throw DecodingError.keyNotFound(
                NodeKey(stringValue: key),
                .init(codingPath: path.codingPath, debugDescription: "no value for key '\(key)'"))
        }
        return value
    }

    package func string(_ key: String) throws -> String {
        try Scalar.string(value(key), .member(path, key))
    }

    /// The value of `key` unless the key is absent or its value is `null` (as `decodeIfPresent`
    /// reads it).
    private func present(_ key: String) -> ConfigValue? {
        guard let value = find(key), value != .null else { return nil }
        return value
    }

    /// The string at `key`, or nil when the key is absent or `null` (as `decodeIfPresent`).
    package func optionalString(_ key: String) throws -> String? {
        try present(key).map { try Scalar.string($0, .member(path, key)) }
    }

    package func int(_ key: String) throws -> Int {
        try Scalar.integer(Int.self, value(key), .member(path, key))
    }

    /// The integer at `key`, or nil when the key is absent or `null` (as `decodeIfPresent`).
    package func optionalInt(_ key: String) throws -> Int? {
        try present(key).map { try Scalar.integer(Int.self, $0, .member(path, key)) }
    }

    /// The object of integers at `key`, or nil when the key is absent or `null`.
    package func optionalIntsByName(_ key: String) throws -> [String: Int]? {
        present(key) == nil ? nil : try intsByName(key)
    }

    package func double(_ key: String) throws -> Double {
        try Scalar.double(value(key), .member(path, key))
    }

    package func ints(_ key: String) throws -> [Int] {
        let list = try value(key)
        guard case .array(let items) = list else { throw mismatch([Int].self, list, .member(path, key)) }
        return try items.indices.map { index in
            try Scalar.integer(Int.self, items[index].value, .index(.member(path, key), index))
        }
    }

    package func intsByName(_ key: String) throws -> [String: Int] {
        let object = try NodeObject(value(key), path: .member(path, key))
        var result: [String: Int] = [:]
        result.reserveCapacity(object.members.count)
        for member in object.members {
            result[member.key] = try Scalar.integer(Int.self, member.value.value, .member(object.path, member.key))
        }
        return result
    }

    /// The list at `key`, or nil when the key is absent or `null` (as `decodeIfPresent`).
    package func optionalList<T: NodeDecodable>(_ type: T.Type, _ key: String) throws -> [T]? {
        guard let list = present(key) else { return nil }
        guard case .array(let items) = list else { throw mismatch([T].self, list, .member(path, key)) }
        return try items.indices.map { index in
            try T(node: items[index].value, path: .index(.member(path, key), index))
        }
    }

    package func decode<T: NodeDecodable>(_ type: T.Type, _ key: String) throws -> T {
        try T(node: value(key), path: .member(path, key))
    }
}

/// Where a value sits in the document; its coding path is built only when an error names it.
package indirect enum NodePath: Sendable {
    case root
    case member(NodePath, String)
    case index(NodePath, Int)

    package var codingPath: [any CodingKey] {
        switch self {
        case .root: []
        case .member(let parent, let key): parent.codingPath + [NodeKey(stringValue: key)]
        case .index(let parent, let index): parent.codingPath + [NodeKey(intValue: index)]
        }
    }
}

struct NodeKey: CodingKey {
    var stringValue: String
    var intValue: Int?

    init(stringValue: String) {
        self.stringValue = stringValue
    }

    init(intValue: Int) {
        stringValue = "Index \(intValue)"
        self.intValue = intValue
    }
}

func mismatch(_ type: Any.Type, _ value: ConfigValue, _ path: NodePath) -> DecodingError {
    .typeMismatch(
        type, .init(codingPath: path.codingPath, debugDescription: "expected \(type), found \(value.typeName)"))
}

/// Scalars out of a node, shared by the decoder's containers and ``NodeObject``. The path is
/// built only when an error names it.
enum Scalar {
    static func bool(_ value: ConfigValue, _ path: @autoclosure () -> NodePath) throws -> Bool {
        guard case .bool(let flag) = value else { throw mismatch(Bool.self, value, path()) }
        return flag
    }

    static func string(_ value: ConfigValue, _ path: @autoclosure () -> NodePath) throws -> String {
        guard case .string(let text) = value else { throw mismatch(String.self, value, path()) }
        return text
    }

    static func double(_ value: ConfigValue, _ path: @autoclosure () -> NodePath) throws -> Double {
        switch value {
        case .int(let number): return Double(number)
        case .double(let number): return number
        default: throw mismatch(Double.self, value, path())
        }
    }

    static func integer<T: FixedWidthInteger>(_ type: T.Type, _ value: ConfigValue, _ path: @autoclosure () -> NodePath)
        throws -> T
    {
        guard case .int(let number) = value else { throw mismatch(type, value, path()) }
        guard let exact = T(exactly: number) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: path().codingPath, debugDescription: "\(number) does not fit \(type)"))
        }
        return exact
    }
}
