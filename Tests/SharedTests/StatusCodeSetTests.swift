import Shared
import Testing

@Suite struct StatusCodeSetTests {
    @Test func classesAndExactCodesAreMembersAndNothingElseIs() {
        let set = StatusCodeSet(specs: ["5xx", "429", "nonsense", "7xx"])
        #expect((500...599).allSatisfy(set.contains))
        #expect(set.contains(429))
        #expect(![100, 200, 404, 428, 430, 499, 600, 700, -1, 10_000].contains(where: set.contains))
    }

    @Test func equalSpecsGiveEqualSets() {
        #expect(StatusCodeSet(specs: ["503", "502"]) == StatusCodeSet(specs: ["502", "503"]))
        #expect(StatusCodeSet(specs: ["503"]) != StatusCodeSet(specs: ["502"]))
    }
}
