import Testing
@Test func orchctlPlaceholder() { #expect(true) }
