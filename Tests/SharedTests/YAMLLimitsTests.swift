import Shared
import Testing

@Suite struct YAMLLimitsTests {
    /// Nine levels of ten aliases each: about 500 bytes that expand to 10^9 values.
    static let billionLaughs: String = {
        var lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        for level in 1...9 {
            let previous = "*a\(level - 1)"
            let list = Array(repeating: previous, count: 10).joined(separator: ", ")
            lines.append("a\(level): &a\(level) [\(list)]")
        }
        lines.append("endpoints: *a9")
        return lines.joined(separator: "\n")
    }()

    @Test func nestedAliasesThatExpandWithoutBoundAreRefused() throws {
        #expect(Self.billionLaughs.utf8.count < 1024)
        let error = try #require(throws: ValidationError.self) { try GatewayConfig.parse(yaml: Self.billionLaughs) }
        #expect(error.issues.contains { $0.message.contains("aliases are expanded") })
    }

    @Test func deeplyNestedListsAreRefused() throws {
        let text = "endpoints: " + String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        let error = try #require(throws: ValidationError.self) { try GatewayConfig.parse(yaml: text) }
        #expect(error.issues.contains { $0.message.contains("deeper than \(ConfigNode.maximumDepth)") })
    }

    @Test func aliasesWithinTheLimitStillWork() throws {
        let text = """
            defaults: &methods [GET, POST]
            endpoints:
              - name: a
                url: http://a.internal/
                methods: *methods
              - name: b
                url: http://b.internal/
                methods: *methods
            """
        // `defaults` is not a key of the config: the aliases expanded, and only that key is wrong.
        let error = try #require(throws: ValidationError.self) { try GatewayConfig.parse(yaml: text) }
        #expect(error.issues.map(\.field) == ["defaults"])
    }
}
