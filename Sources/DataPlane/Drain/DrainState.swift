import NIOConcurrencyHelpers

/// Whether the replica drains, and by when it must exit. Shared by what starts a drain (SIGTERM
/// through the service group, or the control plane's `drain` message) and what carries it out
/// (``ProxyServer``) and reports it (``SnapshotClient``). The first request wins: its deadline
/// holds, later ones change nothing.
package final class DrainState: Sendable {
    private struct State {
        var deadline: ContinuousClock.Instant?
        var reportDue = false
        var bySignal = false
    }

    private let state = NIOLockedValueBox(State())
    private let requests: AsyncStream<ContinuousClock.Instant>
    private let continuation: AsyncStream<ContinuousClock.Instant>.Continuation

    package init() {
        let (requests, continuation) = AsyncStream.makeStream(
            of: ContinuousClock.Instant.self, bufferingPolicy: .bufferingNewest(1))
        self.requests = requests
        self.continuation = continuation
    }

    /// Starts draining with `limit` to finish; returns `false` when already draining.
    /// `bySignal`: started by SIGTERM/SIGINT rather than by the control plane's message.
    @discardableResult
    package func begin(
        within limit: Duration, bySignal: Bool = false, clock: ContinuousClock = ContinuousClock()
    ) -> Bool {
        let deadline = clock.now + limit
        let first = state.withLockedValue { state -> Bool in
            guard state.deadline == nil else { return false }
            state.deadline = deadline
            state.reportDue = true
            state.bySignal = bySignal
            return true
        }
        if first {
            continuation.yield(deadline)
            continuation.finish()
        }
        return first
    }

    /// Whether the drain under way was started by a signal (so that another one means "now").
    package var startedBySignal: Bool { state.withLockedValue { $0.bySignal } }

    /// Whether a drain has begun.
    package var isDraining: Bool { state.withLockedValue { $0.deadline != nil } }

    /// `true` once after the drain began, so that the next report goes out at once.
    package func takeReportDue() -> Bool {
        state.withLockedValue { state in
            defer { state.reportDue = false }
            return state.reportDue
        }
    }

    /// Waits until a drain begins and returns its deadline; `nil` if the waiting task is
    /// cancelled first. For a single waiter.
    package func started() async -> ContinuousClock.Instant? {
        for await deadline in requests { return deadline }
        return nil
    }
}
