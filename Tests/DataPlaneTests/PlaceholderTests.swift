import Testing
@Test func dataPlanePlaceholder() { #expect(true) }
