/// Reads typed values from a strict JSON document in one pass, without building a tree: for the
/// documents too large for ``JSONTreeParser``'s tree to pay off (a replica's report holds
/// hundreds of thousands of values at 10,000 endpoints).
///
/// The caller walks the document: ``beginObject()`` then ``nextKey()`` until it answers `nil`,
/// reading each member's value (or ``skipValue()``); ``beginArray()`` then ``nextItem()`` until
/// it answers `false`; ``finish()`` at the end. The text accepted is exactly ``JSONTreeParser``'s
/// (same tokens, same depth limit); typed reads refuse what `NodeDecoder` would refuse.
package struct JSONReader {
    package typealias Failure = JSONScanner.Failure

    /// Where the reader stands in the innermost array or object.
    private enum Position {
        /// Just after `{` or `[`.
        case opened
        /// After a member's or an item's value.
        case afterValue
        /// After a `,`.
        case afterComma
    }

    private var scanner: JSONScanner
    private var position = Position.afterComma
    private var depth = 0

    package init(_ bytes: UnsafeRawBufferPointer) {
        scanner = JSONScanner(bytes)
    }

    /// A failure at the reader's position.
    package func failure(_ message: String) -> Failure { scanner.failure(message) }

    /// Checks that nothing but whitespace follows the document.
    package mutating func finish() throws(Failure) {
        scanner.skipWhitespace()
        guard scanner.index == scanner.bytes.count else { throw failure("unexpected data after the document") }
    }

    // MARK: Containers

    /// Reads the `{` of an object.
    package mutating func beginObject() throws(Failure) { try open(UInt8(ascii: "{"), "an object") }

    /// Reads the `[` of an array.
    package mutating func beginArray() throws(Failure) { try open(UInt8(ascii: "["), "a list") }

    private mutating func open(_ bracket: UInt8, _ what: String) throws(Failure) {
        scanner.skipWhitespace()
        guard scanner.current == bracket else { throw mismatch(what) }
        depth += 1
        guard depth <= JSONTreeParser.maximumDepth else {
            throw failure("nested deeper than \(JSONTreeParser.maximumDepth) levels")
        }
        scanner.index += 1
        position = .opened
    }

    /// The next member's name, its `:` read; `nil` after the object's `}`.
    package mutating func nextKey() throws(Failure) -> Key? {
        guard try next(closing: UInt8(ascii: "}"), "expected ',' or '}' in an object") else { return nil }
        guard scanner.current == UInt8(ascii: "\"") else { throw failure("expected a member name") }
        let key = try scanner.stringToken()
        scanner.skipWhitespace()
        guard scanner.current == UInt8(ascii: ":") else { throw failure("expected ':' after a member name") }
        scanner.index += 1
        return Key(token: key)
    }

    /// Whether the array has another item (to be read next); `false` after its `]`.
    package mutating func nextItem() throws(Failure) -> Bool {
        try next(closing: UInt8(ascii: "]"), "expected ',' or ']' in an array")
    }

    private mutating func next(closing: UInt8, _ expected: String) throws(Failure) -> Bool {
        scanner.skipWhitespace()
        if scanner.current == closing, position != .afterComma {
            scanner.index += 1
            depth -= 1
            position = .afterValue
            return false
        }
        if position == .afterValue {
            guard scanner.current == UInt8(ascii: ",") else { throw failure(expected) }
            scanner.index += 1
            scanner.skipWhitespace()
        }
        position = .afterComma
        return true
    }

    /// Reads an object: `member` reads the value of each key it knows and answers the key's index
    /// among them (below 64); the values of other keys are skipped. A key that comes twice is
    /// refused, as `NodeDecoder` refuses it.
    package mutating func readObject(
        _ member: (inout JSONReader, Key) throws(Failure) -> Int?
    ) throws(Failure) {
        try beginObject()
        var known: UInt64 = 0
        var others: [String] = []
        while let key = try nextKey() {
            if let index = try member(&self, key) {
                let bit: UInt64 = 1 << UInt64(index)
                guard known & bit == 0 else { throw failure("duplicate key '\(key.text)'") }
                known |= bit
            } else {
                let name = key.text
                guard !others.contains(name) else { throw failure("duplicate key '\(name)'") }
                others.append(name)
                try skipValue()
            }
        }
    }

    /// Reads an array, `item` reading each of its values.
    package mutating func list<T>(_ item: (inout JSONReader) throws(Failure) -> T) throws(Failure) -> [T] {
        var values: [T] = []
        try beginArray()
        while try nextItem() { values.append(try item(&self)) }
        return values
    }

    /// A list of integers.
    package mutating func ints() throws(Failure) -> [Int] {
        try list { reader throws(Failure) in try reader.int() }
    }

    /// An object of integers by name.
    package mutating func intsByName() throws(Failure) -> [String: Int] {
        var values: [String: Int] = [:]
        try beginObject()
        while let key = try nextKey() {
            let name = key.text
            guard values[name] == nil else { throw failure("duplicate key '\(name)'") }
            values[name] = try int()
        }
        return values
    }

    /// `value` when a member gave it; a failure naming `key` otherwise.
    package func required<T>(_ value: T?, _ key: String) throws(Failure) -> T {
        guard let value else { throw failure("no value for key '\(key)'") }
        return value
    }

    // MARK: Values

    /// Skips `null` and answers `true`, or answers `false` at any other value.
    package mutating func readNull() throws(Failure) -> Bool {
        scanner.skipWhitespace()
        guard scanner.current == UInt8(ascii: "n") else { return false }
        try scanner.literal("null")
        position = .afterValue
        return true
    }

    package mutating func string() throws(Failure) -> String {
        scanner.skipWhitespace()
        guard scanner.current == UInt8(ascii: "\"") else { throw mismatch("a string") }
        let text = try scanner.string()
        position = .afterValue
        return text
    }

    /// A number without fraction or exponent that fits an `Int`.
    package mutating func int() throws(Failure) -> Int {
        guard case .int(let value) = try number("an integer") else {
            throw failure("expected an integer")
        }
        return value
    }

    /// Any number.
    package mutating func double() throws(Failure) -> Double {
        switch try number("a number") {
        case .int(let value): return Double(value)
        case .double(let value): return value
        default: throw mismatch("a number")
        }
    }

    private mutating func number(_ what: String) throws(Failure) -> ConfigValue {
        scanner.skipWhitespace()
        guard let byte = scanner.current, byte == UInt8(ascii: "-") || (0x30...0x39).contains(byte) else {
            throw mismatch(what)
        }
        let value = try scanner.number()
        position = .afterValue
        return value
    }

    package mutating func bool() throws(Failure) -> Bool {
        scanner.skipWhitespace()
        let value: Bool
        switch scanner.current {
        case UInt8(ascii: "t"):
            try scanner.literal("true")
            value = true
        case UInt8(ascii: "f"):
            try scanner.literal("false")
            value = false
        default: throw mismatch("a boolean")
        }
        position = .afterValue
        return value
    }

    /// Reads past one value of any kind, checking it as strictly as any other.
    package mutating func skipValue() throws(Failure) {
        scanner.skipWhitespace()
        guard let byte = scanner.current else { throw failure("unexpected end of data") }
        switch byte {
        case UInt8(ascii: "{"):
            try beginObject()
            while try nextKey() != nil { try skipValue() }
        case UInt8(ascii: "["):
            try beginArray()
            while try nextItem() { try skipValue() }
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "t"), UInt8(ascii: "f"): _ = try bool()
        case UInt8(ascii: "n"): _ = try readNull()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): _ = try number("a value")
        default: throw failure("unexpected character \(JSONScanner.describe(byte))")
        }
    }

    private func mismatch(_ what: String) -> Failure {
        guard let byte = scanner.current else { return failure("unexpected end of data") }
        return failure("expected \(what), found \(JSONScanner.describe(byte))")
    }

    /// A member's name as read: its bytes when it has no escapes (compared without making a
    /// `String`), the unescaped text otherwise.
    package struct Key {
        fileprivate let token: JSONScanner.StringToken

        /// The name as text, for errors and for maps keyed by name.
        package var text: String {
            switch token {
            case .raw(let bytes): String(decoding: bytes, as: UTF8.self)
            case .unescaped(let text): text
            }
        }

        /// Whether `bytes` are `pattern`'s: lengths first, then the bytes in place (key names are
        /// literals, stored contiguously), since a reader tries each of its type's names in turn.
        private static func matches(_ bytes: UnsafeRawBufferPointer, _ pattern: String.UTF8View) -> Bool {
            guard bytes.count == pattern.count else { return false }
            return pattern.withContiguousStorageIfAvailable { stored in
                for index in 0..<stored.count where stored[index] != bytes[index] { return false }
                return true
            } ?? bytes.elementsEqual(pattern)
        }

        package static func ~= (pattern: String, key: Key) -> Bool {
            switch key.token {
            case .raw(let bytes): matches(bytes, pattern.utf8)
            case .unescaped(let text): text == pattern
            }
        }
    }
}
