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

    private func failure(_ key: String, _ message: String) -> DecodingError {
        .dataCorrupted(.init(codingPath: NodePath.member(path, key).codingPath, debugDescription: message))
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
        guard case .string(let text) = try value(key) else { throw failure(key, "expected a string") }
        return text
    }

    /// The string at `key`, or nil when the key is absent or `null` (as `decodeIfPresent`).
    package func optionalString(_ key: String) throws -> String? {
        switch find(key) {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw failure(key, "expected a string")
        }
    }

    package func int(_ key: String) throws -> Int {
        guard case .int(let number) = try value(key) else { throw failure(key, "expected an integer") }
        return number
    }

    package func double(_ key: String) throws -> Double {
        switch try value(key) {
        case .int(let number): return Double(number)
        case .double(let number): return number
        default: throw failure(key, "expected a number")
        }
    }

    package func ints(_ key: String) throws -> [Int] {
        guard case .array(let items) = try value(key) else { throw failure(key, "expected a list") }
        return try items.map { item in
            guard case .int(let number) = item.value else { throw failure(key, "expected a list of integers") }
            return number
        }
    }

    package func intsByName(_ key: String) throws -> [String: Int] {
        let object = try NodeObject(value(key), path: .member(path, key))
        var result: [String: Int] = [:]
        result.reserveCapacity(object.members.count)
        for member in object.members {
            guard case .int(let number) = member.value.value else { throw failure(key, "expected integers") }
            result[member.key] = number
        }
        return result
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
