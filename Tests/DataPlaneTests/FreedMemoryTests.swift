import DataPlane
import Testing

/// Replicas give freed memory back to the system after a large traffic report.
@Suite struct FreedMemoryTests {
    @Test func onlyReportsOfAThousandEndpointsOrMoreAreWorthReleasingAfter() {
        #expect(!FreedMemory.worthReleasing(afterReportOf: 0))
        #expect(!FreedMemory.worthReleasing(afterReportOf: 999))
        #expect(FreedMemory.worthReleasing(afterReportOf: 1_000))
        #expect(FreedMemory.worthReleasing(afterReportOf: 10_000))
    }

    @Test func glibcsTrimIsFoundAndTheHeapStaysUsableAfterARelease() {
        // Free a few megabytes first, so that there is something to give back.
        var blocks = (0..<64).map { _ in [UInt8](repeating: 1, count: 64 * 1024) }
        blocks.removeAll()
        #if canImport(Glibc)
            #expect(FreedMemory.isAvailable)
        #endif
        // Whether memory went back depends on the heap's state; the call must be harmless.
        _ = FreedMemory.release()
        let after = [UInt8](repeating: 2, count: 1024 * 1024)
        #expect(after.allSatisfy { $0 == 2 })
        #expect(blocks.isEmpty)
    }
}
