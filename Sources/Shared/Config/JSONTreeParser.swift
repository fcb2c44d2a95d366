/// A strict JSON (RFC 8259) parser that builds a ``ConfigNode`` tree in one pass over the bytes.
///
/// Control-plane frames, admin request bodies and cache files are parsed with it: decoding them
/// into a generic tree through `Decodable` cost an error thrown per scalar (to find its type),
/// which made parsing a frame cost more than applying it.
///
/// Integers without a fraction or exponent that fit an `Int` become `.int`, other numbers
/// `.double` (a number that does not fit a `Double` is refused). Object members come sorted by
/// key; a repeated key is kept, so that validation refuses it as it does in YAML. Nesting deeper than ``maximumDepth`` is refused, so
/// hostile input cannot exhaust the stack.
struct JSONTreeParser: ~Copyable {
    /// How deeply arrays and objects may nest; every document this project reads nests a few levels.
    static let maximumDepth = 100

    typealias Failure = JSONScanner.Failure

    private var scanner: JSONScanner

    private init(_ bytes: UnsafeRawBufferPointer) {
        scanner = JSONScanner(bytes)
    }

    /// Parses `bytes` as one JSON document (surrounding whitespace allowed).
    static func parse(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> ConfigValue {
        var parser = JSONTreeParser(bytes)
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.scanner.index == bytes.count else { throw parser.failure("unexpected data after the document") }
        return value
    }

    private func failure(_ message: String) -> Failure { scanner.failure(message) }

    private var current: UInt8? { scanner.current }

    private mutating func skipWhitespace() { scanner.skipWhitespace() }

    private mutating func value(depth: Int) throws(Failure) -> ConfigValue {
        skipWhitespace()
        guard let byte = current else { throw failure("unexpected end of data") }
        switch byte {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try scanner.string())
        case UInt8(ascii: "t"):
            try scanner.literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try scanner.literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try scanner.literal("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try scanner.number()
        default: throw failure("unexpected character \(JSONScanner.describe(byte))")
        }
    }

    private mutating func object(depth: Int) throws(Failure) -> ConfigValue {
        guard depth <= Self.maximumDepth else { throw failure("nested deeper than \(Self.maximumDepth) levels") }
        scanner.index += 1
        var members: [ConfigMember] = []
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            scanner.index += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw failure("expected a member name") }
            let key = try scanner.string()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw failure("expected ':' after a member name") }
            scanner.index += 1
            members.append(ConfigMember(key: key, value: ConfigNode(try value(depth: depth))))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): scanner.index += 1
            case UInt8(ascii: "}"):
                scanner.index += 1
                return .object(Self.sortedByKey(members))
            default: throw failure("expected ',' or '}' in an object")
            }
        }
    }

    /// `members` sorted by key; a repeated key stays, in document order, for validation to report.
    private static func sortedByKey(_ members: [ConfigMember]) -> [ConfigMember] {
        // Canonical JSON (what the control plane sends) has its keys sorted already.
        guard zip(members, members.dropFirst()).contains(where: { $0.key > $1.key }) else { return members }
        guard members.count <= 16 else {
            return members.enumerated().sorted { ($0.element.key, $0.offset) < ($1.element.key, $1.offset) }.map(
                \.element)
        }
        // A small object (most are): a stable insertion sort in place, without the pairs above.
        var sorted = members
        for next in 1..<sorted.count {
            let member = sorted[next]
            var slot = next
            while slot > 0, sorted[slot - 1].key > member.key {
                sorted[slot] = sorted[slot - 1]
                slot -= 1
            }
            sorted[slot] = member
        }
        return sorted
    }

    private mutating func array(depth: Int) throws(Failure) -> ConfigValue {
        guard depth <= Self.maximumDepth else { throw failure("nested deeper than \(Self.maximumDepth) levels") }
        scanner.index += 1
        var items: [ConfigNode] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            scanner.index += 1
            return .array(items)
        }
        while true {
            items.append(ConfigNode(try value(depth: depth)))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): scanner.index += 1
            case UInt8(ascii: "]"):
                scanner.index += 1
                return .array(items)
            default: throw failure("expected ',' or ']' in an array")
            }
        }
    }
}
