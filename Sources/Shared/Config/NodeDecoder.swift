import Foundation

/// Decodes `Decodable` values from JSON through ``JSONTreeParser``'s node tree: what
/// `JSONDecoder` does for the types this project exchanges, at a fraction of its cost on large
/// documents (a replica's traffic report at 10,000 endpoints took a third of a CPU second).
///
/// Numbers: an integer type takes a JSON integer that fits it; `Double` and `Float` take any
/// number. A key given twice is refused as corrupted data.
package enum NodeDecoder {
    /// `T` from the JSON document `data`.
    package static func decode<T: Decodable>(_ type: T.Type, fromJSON data: Data) throws -> T {
        let root: ConfigNode
        do {
            root = try ConfigNode.parseJSON(data)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: error.description))
        }
        return try decode(type, from: root)
    }

    /// `T` from a document already parsed into `node`.
    package static func decode<T: Decodable>(_ type: T.Type, from node: ConfigNode) throws -> T {
        try T(from: NodeValueDecoder(node.value, path: .root))
    }
}

private struct NodeValueDecoder: Decoder {
    let value: ConfigValue
    let path: NodePath

    init(_ value: ConfigValue, path: NodePath) {
        self.value = value
        self.path = path
    }

    var codingPath: [any CodingKey] { path.codingPath }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(KeyedNodeContainer<Key>(object: try NodeObject(value, path: path)))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let items) = value else { throw mismatch([Any].self, value, path) }
        return UnkeyedNodeContainer(items, path: path)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }
}

extension Scalar {
    static func decode<T: Decodable>(_ type: T.Type, _ value: ConfigValue, _ path: @autoclosure () -> NodePath) throws
        -> T
    {
        // The common scalars directly, as JSONDecoder does, rather than through a decoder each.
        switch type {
        case is String.Type: return try string(value, path()) as! T
        case is Int.Type: return try integer(Int.self, value, path()) as! T
        case is Double.Type: return try double(value, path()) as! T
        case is Bool.Type: return try bool(value, path()) as! T
        default:
            let path = path()
            if let fast = type as? any NodeDecodable.Type {
                return try fast.init(node: value, path: path) as! T
            }
            return try T(from: NodeValueDecoder(value, path: path))
        }
    }
}

private struct KeyedNodeContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let object: NodeObject
    var path: NodePath { object.path }

    var codingPath: [any CodingKey] { path.codingPath }
    var allKeys: [Key] { object.members.compactMap { Key(stringValue: $0.key) } }

    private func find(_ key: Key) -> ConfigValue? { object.find(key.stringValue) }

    private func value(_ key: Key) throws -> ConfigValue {
        guard let value = find(key) else {
            throw DecodingError.keyNotFound(
                key, .init(codingPath: path.codingPath, debugDescription: "no value for key '\(key.stringValue)'"))
        }
        return value
    }

    func contains(_ key: Key) -> Bool { find(key) != nil }

    func decodeNil(forKey key: Key) throws -> Bool {
        if case .null = try value(key) { return true }
        return false
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool {
        try Scalar.bool(value(key), .member(path, key.stringValue))
    }
    func decode(_ type: String.Type, forKey key: Key) throws -> String {
        try Scalar.string(value(key), .member(path, key.stringValue))
    }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double {
        try Scalar.double(value(key), .member(path, key.stringValue))
    }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float {
        Float(try Scalar.double(value(key), .member(path, key.stringValue)))
    }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try integer(type, key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try integer(type, key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try integer(type, key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try integer(type, key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try integer(type, key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try integer(type, key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try integer(type, key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try integer(type, key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try integer(type, key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try integer(type, key) }

    private func integer<T: FixedWidthInteger>(_ type: T.Type, _ key: Key) throws -> T {
        try Scalar.integer(type, value(key), .member(path, key.stringValue))
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try Scalar.decode(type, value(key), .member(path, key.stringValue))
    }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try NodeValueDecoder(value(key), path: .member(path, key.stringValue)).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try NodeValueDecoder(value(key), path: .member(path, key.stringValue)).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        NodeValueDecoder(object.find("super") ?? .null, path: .member(path, "super"))
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        NodeValueDecoder(find(key) ?? .null, path: .member(path, key.stringValue))
    }
}

private struct UnkeyedNodeContainer: UnkeyedDecodingContainer {
    let items: [ConfigNode]
    let path: NodePath
    var currentIndex = 0

    init(_ items: [ConfigNode], path: NodePath) {
        self.items = items
        self.path = path
    }

    var codingPath: [any CodingKey] { path.codingPath }
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    /// The next item, consumed once `read` succeeds.
    private mutating func next<T>(_ read: (ConfigValue, NodePath) throws -> T) throws -> T {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(
                T.self, .init(codingPath: path.codingPath, debugDescription: "no more items"))
        }
        let result = try read(items[currentIndex].value, .index(path, currentIndex))
        currentIndex += 1
        return result
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, case .null = items[currentIndex].value else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try next { try Scalar.bool($0, $1) } }
    mutating func decode(_ type: String.Type) throws -> String { try next { try Scalar.string($0, $1) } }
    mutating func decode(_ type: Double.Type) throws -> Double { try next { try Scalar.double($0, $1) } }
    mutating func decode(_ type: Float.Type) throws -> Float { Float(try next { try Scalar.double($0, $1) }) }
    mutating func decode(_ type: Int.Type) throws -> Int { try integer(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try integer(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }

    private mutating func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        try next { value, path in try Scalar.integer(type, value, path) }
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try next { value, path in try Scalar.decode(type, value, path) }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try next { value, path in try NodeValueDecoder(value, path: path).container(keyedBy: type) }
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try next { value, path in try NodeValueDecoder(value, path: path).unkeyedContainer() }
    }

    mutating func superDecoder() throws -> any Decoder {
        try next { value, path in NodeValueDecoder(value, path: path) }
    }
}

// The decoder of a value is its own single-value container, as in JSONDecoder.
extension NodeValueDecoder: SingleValueDecodingContainer {
    func decodeNil() -> Bool {
        if case .null = value { return true }
        return false
    }

    func decode(_ type: Bool.Type) throws -> Bool { try Scalar.bool(value, path) }
    func decode(_ type: String.Type) throws -> String { try Scalar.string(value, path) }
    func decode(_ type: Double.Type) throws -> Double { try Scalar.double(value, path) }
    func decode(_ type: Float.Type) throws -> Float { Float(try Scalar.double(value, path)) }
    func decode(_ type: Int.Type) throws -> Int { try Scalar.integer(type, value, path) }
    func decode(_ type: Int8.Type) throws -> Int8 { try Scalar.integer(type, value, path) }
    func decode(_ type: Int16.Type) throws -> Int16 { try Scalar.integer(type, value, path) }
    func decode(_ type: Int32.Type) throws -> Int32 { try Scalar.integer(type, value, path) }
    func decode(_ type: Int64.Type) throws -> Int64 { try Scalar.integer(type, value, path) }
    func decode(_ type: UInt.Type) throws -> UInt { try Scalar.integer(type, value, path) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try Scalar.integer(type, value, path) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try Scalar.integer(type, value, path) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try Scalar.integer(type, value, path) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try Scalar.integer(type, value, path) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try Scalar.decode(type, value, path) }
}
