import Foundation
import Testing

@testable import Shared

@Suite struct JSONParsingTests {
    private func parse(_ text: String) throws -> ConfigValue {
        try ConfigNode.parseJSON(Data(text.utf8)).value
    }

    private func refusal(_ text: String) -> String? {
        let error = #expect(throws: ValidationError.self) { try ConfigNode.parseJSON(Data(text.utf8)) }
        return error?.description
    }

    @Test func scalarsKeepTheirKinds() throws {
        #expect(try parse("null") == .null)
        #expect(try parse(" true ") == .bool(true))
        #expect(try parse("false") == .bool(false))
        #expect(try parse("0") == .int(0))
        #expect(try parse("-42") == .int(-42))
        #expect(try parse("9223372036854775807") == .int(Int.max))
        #expect(try parse("-9223372036854775808") == .int(Int.min))
        // Up to 18 digits are read in place; more go through the library's conversion.
        #expect(try parse("999999999999999999") == .int(999_999_999_999_999_999))
        #expect(try parse("-99999999999999999") == .int(-99_999_999_999_999_999))
        #expect(try parse("1000000000000000000") == .int(1_000_000_000_000_000_000))
        #expect(try parse("-0") == .int(0))
        #expect(try parse("1.5") == .double(1.5))
        #expect(try parse("1.0") == .double(1))
        #expect(try parse("-2e3") == .double(-2000))
        #expect(try parse("1E+2") == .double(100))
        // Beyond Int: a double, as a decoder trying Int then Double gives.
        #expect(try parse("9223372036854775808") == .double(9_223_372_036_854_775_808))
        #expect(try parse(#""text""#) == .string("text"))
    }

    @Test func objectMembersComeSortedAndARepeatedKeyStaysForValidationToRefuse() throws {
        let value = try parse(#"{"b": 1, "a": [true, null], "c": {}, "b": 2}"#)
        #expect(
            value
                == .object([
                    ConfigMember(key: "a", value: ConfigNode(.array([ConfigNode(.bool(true)), ConfigNode(.null)]))),
                    ConfigMember(key: "b", value: ConfigNode(.int(1))),
                    ConfigMember(key: "b", value: ConfigNode(.int(2))),
                    ConfigMember(key: "c", value: ConfigNode(.object([]))),
                ]))
        // A large object is sorted the same way, repeated keys in document order.
        let keys = (0..<40).map { "k\(($0 * 7) % 20)" }
        let large = "{" + keys.enumerated().map { #""\#($0.element)": \#($0.offset)"# }.joined(separator: ",") + "}"
        guard case .object(let members) = try parse(large) else {
            Issue.record("not an object")
            return
        }
        let expected = keys.enumerated().sorted { ($0.element, $0.offset) < ($1.element, $1.offset) }
        #expect(members.map(\.key) == expected.map(\.element))
        #expect(members.map(\.value.value) == expected.map { .int($0.offset) })
        let error = #expect(throws: ValidationError.self) {
            try EndpointConfig.validate(
                ConfigNode.parseJSON(Data(#"{"name": "a", "url": "http://127.0.0.1:1", "name": "b"}"#.utf8)))
        }
        #expect(error?.description.contains("duplicate key") == true)
    }

    @Test func stringEscapesAndUnicodeAreDecoded() throws {
        #expect(try parse(#""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{8}\u{c}\n\r\t"))
        #expect(try parse(#""\u00e9\u20AC""#) == .string("é€"))
        #expect(try parse(#""\ud83d\ude00 ok""#) == .string("😀 ok"))
        #expect(try parse("\"héllo 😀\"") == .string("héllo 😀"))
    }

    @Test(arguments: [
        "", "   ", "{", "[1,]", "[1 2]", #"{"a" 1}"#, #"{"a":1,}"#, "{a:1}", "tru", "nul", "01", "-", "1.", "1e",
        "+1", ".5", "NaN", "Infinity", "1e400", #""unterminated"#, "\"tab\there\"", #""\x""#, #""\u12""#,
        #""\ud83d""#, #""\ude00""#, #""\ud83d\u0041""#, "[1] 2", "{}{}", "'single'",
    ])
    func malformedDocumentsAreRefusedAsInvalidJSON(_ text: String) {
        #expect(refusal(text)?.contains("invalid JSON") == true)
    }

    @Test func invalidUTF8IsRefused() {
        let bytes: [UInt8] = [0x22, 0xC3, 0x28, 0x22]
        #expect(throws: ValidationError.self) { try ConfigNode.parseJSON(Data(bytes)) }
    }

    @Test func nestingIsBoundedSoHostileInputCannotExhaustTheStack() throws {
        let allowed = JSONTreeParser.maximumDepth
        _ = try parse(String(repeating: "[", count: allowed) + String(repeating: "]", count: allowed))
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(refusal(deep)?.contains("nested deeper") == true)
        let deepObjects =
            String(repeating: #"{"a":"#, count: allowed + 1) + "1" + String(repeating: "}", count: allowed + 1)
        #expect(refusal(deepObjects)?.contains("nested deeper") == true)
    }

    /// Random trees written by Foundation's encoder read back as the same tree.
    @Test func documentsFoundationWritesReadBackExactly() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let value = Self.randomValue(depth: 0, using: &generator)
            let data = try JSONSerialization.data(
                withJSONObject: Self.foundationObject(value), options: [.fragmentsAllowed])
            #expect(try ConfigNode.parseJSON(data).value == Self.sorted(value))
        }
    }

    private static func randomValue(depth: Int, using generator: inout some RandomNumberGenerator) -> ConfigValue {
        let kinds = depth < 4 ? 7 : 5
        switch Int.random(in: 0..<kinds, using: &generator) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &generator))
        case 2: return .int(Int.random(in: -1_000_000...1_000_000, using: &generator))
        case 3: return .double(Double(Int.random(in: -999...999, using: &generator)) + 0.25)
        case 4:
            let alphabet = Array("ab é\"\\/\n\t\u{1}😀€")
            return .string(
                String((0..<Int.random(in: 0...8, using: &generator)).map { _ in alphabet.randomElement()! }))
        case 5:
            return .array(
                (0..<Int.random(in: 0...4, using: &generator)).map { _ in
                    ConfigNode(randomValue(depth: depth + 1, using: &generator))
                })
        default:
            var members: [String: ConfigValue] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &generator) {
                members["k\(Int.random(in: 0...9, using: &generator))"] = randomValue(
                    depth: depth + 1, using: &generator)
            }
            return .object(members.map { ConfigMember(key: $0.key, value: ConfigNode($0.value)) })
        }
    }

    private static func sorted(_ value: ConfigValue) -> ConfigValue {
        switch value {
        case .array(let items): .array(items.map { ConfigNode(sorted($0.value)) })
        case .object(let members):
            .object(
                members.sorted { $0.key < $1.key }.map {
                    ConfigMember(key: $0.key, value: ConfigNode(sorted($0.value.value)))
                })
        default: value
        }
    }

    private static func foundationObject(_ value: ConfigValue) -> Any {
        switch value {
        case .null: NSNull()
        case .bool(let flag): flag
        case .int(let number): number
        case .double(let number): number
        case .string(let text): text
        case .array(let items): items.map { foundationObject($0.value) }
        case .object(let members):
            Dictionary(uniqueKeysWithValues: members.map { ($0.key, foundationObject($0.value.value)) })
        }
    }
}
