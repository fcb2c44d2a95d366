/// JSON written straight into bytes, for the messages large enough that `JSONEncoder`'s cost
/// shows: a replica's report carries two histograms and a breaker for every endpoint with traffic,
/// tens of thousands of values at 10,000 endpoints, and `JSONEncoder` boxes each of them.
///
/// Values are separated by commas as they are written: after ``key(_:)`` a value follows it,
/// elsewhere it is the next element of the array or object that is open.
package struct JSONOutput {
    package private(set) var bytes: [UInt8] = []
    /// For each open array or object: whether nothing was written in it yet.
    private var empty: [Bool] = []
    /// Whether the next value belongs to the key just written.
    private var afterKey = false

    package init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    package mutating func openObject() {
        open(UInt8(ascii: "{"))
    }

    package mutating func closeObject() {
        close(UInt8(ascii: "}"))
    }

    package mutating func openArray() {
        open(UInt8(ascii: "["))
    }

    package mutating func closeArray() {
        close(UInt8(ascii: "]"))
    }

    private mutating func open(_ bracket: UInt8) {
        beginValue()
        bytes.append(bracket)
        empty.append(true)
    }

    private mutating func close(_ bracket: UInt8) {
        bytes.append(bracket)
        empty.removeLast()
    }

    /// The name of the next member of the open object; `name` needs no escaping.
    package mutating func key(_ name: StaticString) {
        beginValue()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        afterKey = true
    }

    /// The name of the next member of the open object, escaped as needed.
    package mutating func key(_ name: String) {
        string(name)
        bytes.append(UInt8(ascii: ":"))
        afterKey = true
    }

    package mutating func string(_ value: String) {
        beginValue()
        Self.appendString(value, to: &bytes)
    }

    /// `value` as a JSON string: quotes, backslashes and control bytes escaped, other UTF-8 bytes
    /// as they are.
    package static func appendString(_ value: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(byte)
            case 0..<0x20:
                bytes.append(contentsOf: #"\u00"#.utf8)
                bytes.append(hexDigits[Int(byte >> 4)])
                bytes.append(hexDigits[Int(byte & 0xf)])
            default:
                bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    package mutating func int(_ value: Int) {
        beginValue()
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        let start = bytes.count
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        bytes[start...].reverse()
    }

    /// A finite number as the shortest decimal that reads back the same; JSON has no form for
    /// infinities and NaN, which are written as `0`.
    package mutating func double(_ value: Double) {
        guard value.isFinite else { return int(0) }
        beginValue()
        bytes.append(contentsOf: value.description.utf8)
    }

    package mutating func bool(_ value: Bool) {
        beginValue()
        bytes.append(contentsOf: value ? "true".utf8 : "false".utf8)
    }

    package mutating func null() {
        beginValue()
        bytes.append(contentsOf: "null".utf8)
    }

    /// A member of the open object, left out when `value` is `nil` (as `Encodable` does).
    package mutating func member(_ name: StaticString, _ value: Int?) {
        guard let value else { return }
        key(name)
        int(value)
    }

    package mutating func member(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        string(value)
    }

    package mutating func member(_ name: StaticString, _ value: Double?) {
        guard let value else { return }
        key(name)
        double(value)
    }

    package mutating func member(_ name: StaticString, _ value: Bool?) {
        guard let value else { return }
        key(name)
        bool(value)
    }

    /// A comma before every value of an array or object but its first, none after a key.
    private mutating func beginValue() {
        if afterKey {
            afterKey = false
            return
        }
        guard let last = empty.indices.last else { return }
        if empty[last] {
            empty[last] = false
        } else {
            bytes.append(UInt8(ascii: ","))
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}
