/// The tokens of a strict JSON (RFC 8259) document, read in place from its bytes: whitespace,
/// literals, numbers and strings. ``JSONTreeParser`` builds trees with it and ``JSONReader``
/// reads typed values with it, so both accept exactly the same text.
package struct JSONScanner {
    /// Why a document is not JSON, with the byte offset where that was found.
    package struct Failure: Error, CustomStringConvertible {
        package var message: String
        package var offset: Int

        package var description: String { "\(message) at byte \(offset)" }
    }

    let bytes: UnsafeRawBufferPointer
    var index = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    func failure(_ message: String) -> Failure {
        Failure(message: message, offset: index)
    }

    var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): index += 1
            default: return
            }
        }
    }

    mutating func literal(_ word: StaticString) throws(Failure) {
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count,
            word.withUTF8Buffer({ expected in expected.indices.allSatisfy { bytes[index + $0] == expected[$0] } })
        else { throw failure("invalid literal") }
        index += count
    }

    /// A number at `index`: `.int` when it has no fraction or exponent and fits an `Int`, else
    /// `.double`; a number that does not fit a `Double` is refused.
    mutating func number() throws(Failure) -> ConfigValue {
        let start = index
        if current == UInt8(ascii: "-") { index += 1 }
        // An integer part: 0, or a digit 1-9 and more digits.
        guard let first = current, Self.isDigit(first) else { throw failure("expected a digit") }
        index += 1
        if first != UInt8(ascii: "0") { skipDigits() }
        var integral = true
        if current == UInt8(ascii: ".") {
            integral = false
            index += 1
            guard let digit = current, Self.isDigit(digit) else { throw failure("expected a digit after '.'") }
            skipDigits()
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            integral = false
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard let digit = current, Self.isDigit(digit) else { throw failure("expected a digit in an exponent") }
            skipDigits()
        }
        // Up to 18 digits always fit an Int: read them in place (reports hold hundreds of
        // thousands of counts); longer ones and fractions go through the library's conversion.
        if integral, index - start <= 18 {
            var value = 0
            var position = bytes[start] == UInt8(ascii: "-") ? start + 1 : start
            while position < index {
                value = value &* 10 &+ Int(bytes[position] &- UInt8(ascii: "0"))
                position += 1
            }
            return .int(bytes[start] == UInt8(ascii: "-") ? -value : value)
        }
        // ASCII only, as checked above.
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if integral, let value = Int(text) { return .int(value) }
        guard let value = Double(text), value.isFinite else {
            index = start
            throw failure("number out of range")
        }
        return .double(value)
    }

    private mutating func skipDigits() {
        while let byte = current, Self.isDigit(byte) { index += 1 }
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// A string as read: its bytes when they are ASCII without escapes (most strings, used as they
    /// stand), its text otherwise.
    enum StringToken {
        case raw(UnsafeRawBufferPointer)
        case unescaped(String)
    }

    /// A string at `index` (its opening quote), unescaped; it must be valid UTF-8.
    mutating func string() throws(Failure) -> String {
        switch try stringToken() {
        case .raw(let bytes): String(decoding: bytes, as: UTF8.self)
        case .unescaped(let text): text
        }
    }

    /// A string at `index` (its opening quote), checked as ``string()`` checks it.
    mutating func stringToken() throws(Failure) -> StringToken {
        index += 1
        let start = index
        // Bytes below 0x80 are ASCII, valid UTF-8 as they stand: only a string with others is
        // validated (most are names and numbers' keys, ASCII all through).
        var ascii = true
        // The common case: no escapes, so the bytes are the string.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
                index += 1
                if ascii { return .raw(raw) }
                guard let text = String(validating: raw, as: UTF8.self) else {
                    index -= 1
                    throw failure("a string is not valid UTF-8")
                }
                return .unescaped(text)
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { throw failure("unescaped control character in a string") }
            ascii = ascii && byte < 0x80
            index += 1
        }
        guard index < bytes.count else { throw failure("unterminated string") }
        return .unescaped(try escapedString(from: start))
    }

    /// The rest of a string that has escapes, from `start` (after its opening quote).
    private mutating func escapedString(from start: Int) throws(Failure) -> String {
        var utf8 = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                guard let text = String(validating: utf8, as: UTF8.self) else {
                    throw failure("a string is not valid UTF-8")
                }
                return text
            case UInt8(ascii: "\\"):
                index += 1
                guard let escape = current else { throw failure("unterminated string") }
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"): utf8.append(contentsOf: try unicodeEscape().utf8)
                default:
                    index -= 1
                    throw failure("invalid escape \\\(Self.describe(escape))")
                }
            default:
                guard byte >= 0x20 else { throw failure("unescaped control character in a string") }
                utf8.append(byte)
                index += 1
            }
        }
        throw failure("unterminated string")
    }

    /// The character of a `\uXXXX` escape (after its `u`), or of a pair of them for a character
    /// beyond the Basic Multilingual Plane. A lone surrogate is refused.
    private mutating func unicodeEscape() throws(Failure) -> String {
        let high = try hexQuad()
        var scalar: Unicode.Scalar?
        if (0xD800...0xDBFF).contains(high) {
            guard bytes.count - index >= 2, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
            else { throw failure("unpaired surrogate in a \\u escape") }
            index += 2
            let low = try hexQuad()
            guard (0xDC00...0xDFFF).contains(low) else { throw failure("unpaired surrogate in a \\u escape") }
            scalar = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
        } else {
            scalar = Unicode.Scalar(high)
        }
        guard let scalar else { throw failure("unpaired surrogate in a \\u escape") }
        return String(Character(scalar))
    }

    private mutating func hexQuad() throws(Failure) -> UInt32 {
        guard bytes.count - index >= 4 else { throw failure("a \\u escape needs four hex digits") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw failure("a \\u escape needs four hex digits")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    static func describe(_ byte: UInt8) -> String {
        (0x21...0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "0x\(String(byte, radix: 16))"
    }
}
