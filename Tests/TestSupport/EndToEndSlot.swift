import Foundation
import Testing

/// A trait for tests that start the gateway's processes (control planes, replicas): each such
/// test waits for one of a few slots, so that `swift test` can run everything in parallel on a
/// 2-core machine without a dozen control planes starving each other's health checks, breaker
/// clocks and reports. In-process tests run beside them, unlimited.
///
/// `@Suite(.endToEnd)` applies it to every test of the suite. `ORCH_TEST_PROCESS_SLOTS` sets the
/// number of slots (default: 1 on up to 2 cores, else half the cores).
public struct EndToEndSlot: TestTrait, SuiteTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func scopeProvider(for test: Test, testCase: Test.Case?) -> EndToEndSlot? {
        // One slot per running test case; the suite itself holds none.
        testCase == nil ? nil : self
    }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        await Self.slots.acquire()
        do {
            try await function()
        } catch {
            await Self.slots.release()
            throw error
        }
        await Self.slots.release()
    }

    static let slots = Slots(
        count: ProcessInfo.processInfo.environment["ORCH_TEST_PROCESS_SLOTS"].flatMap(Int.init).map { max(1, $0) }
            ?? max(1, ProcessInfo.processInfo.activeProcessorCount / 2))

    /// A counting semaphore whose waiters are served first come, first served.
    actor Slots {
        private var free: Int
        private var waiters: [CheckedContinuation<Void, Never>] = []

        init(count: Int) { free = count }

        func acquire() async {
            if free > 0 {
                free -= 1
                return
            }
            await withCheckedContinuation { waiters.append($0) }
        }

        func release() {
            if waiters.isEmpty {
                free += 1
            } else {
                waiters.removeFirst().resume()
            }
        }
    }
}

extension Trait where Self == EndToEndSlot {
    /// The test (or every test of the suite) starts the gateway's processes: it runs in one of
    /// a few slots (``EndToEndSlot``).
    public static var endToEnd: Self { EndToEndSlot() }
}
