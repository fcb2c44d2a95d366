/// An endpoint's retry budget, as pure state: retries in flight may be at most `budgetPercent`
/// of the requests in flight (rounded down), or, when that allows fewer, `minPerSecond` retries
/// may start in each one-second window. An exhausted budget refuses the retry and the gateway
/// answers with the original failure. No clocks, locks or I/O: the caller passes the current
/// monotonic time in nanoseconds.
///
/// The caller reports every client request with ``requestStarted()`` / ``requestFinished()``
/// (retries are not requests here), asks ``mayRetry(now:)`` before each retry, which reserves
/// the retry when it answers true, and reports the reserved retry's end with ``retryFinished()``.
///
/// The per-second allowance counts every retry started, whichever allowance admitted it, in
/// fixed windows: a window opens with the first retry asked for after the previous one ended
/// and lasts one second.
package struct RetryBudget: Sendable {
    private static var nanosecondsPerSecond: Int64 { 1_000_000_000 }

    /// Retries in flight may be this share (percent) of the requests in flight.
    package private(set) var budgetPercent: Int
    /// Retries that may start in any one-second window whatever the share allows.
    package private(set) var minPerSecond: Int
    /// Client requests in flight (retries not counted).
    package private(set) var requestsInFlight = 0
    /// Retries reserved by ``mayRetry(now:)`` and not yet finished.
    package private(set) var retriesInFlight = 0
    /// Retries refused because the budget was exhausted, for metrics.
    package private(set) var exhausted = 0
    /// When the current one-second window opened; `nil` before the first retry.
    private var windowStart: Int64?
    private var retriesInWindow = 0

    package init(budgetPercent: Int = 20, minPerSecond: Int = 3) {
        self.budgetPercent = budgetPercent
        self.minPerSecond = minPerSecond
    }

    /// Adopts new limits (a configuration update); requests and retries in flight are kept.
    package mutating func update(budgetPercent: Int, minPerSecond: Int) {
        self.budgetPercent = budgetPercent
        self.minPerSecond = minPerSecond
    }

    /// Retries the share allows with the current requests in flight.
    package var shareAllowance: Int { requestsInFlight * max(0, min(budgetPercent, 100)) / 100 }

    package mutating func requestStarted() { requestsInFlight += 1 }

    package mutating func requestFinished() { requestsInFlight = max(0, requestsInFlight - 1) }

    /// Whether a retry may start at `now` (monotonic nanoseconds). When true the retry is
    /// reserved: report its end with ``retryFinished()``. When false the refusal is counted in
    /// ``exhausted``.
    package mutating func mayRetry(now: Int64) -> Bool {
        if !isInWindow(now) {
            windowStart = now
            retriesInWindow = 0
        }
        guard retriesInFlight < shareAllowance || retriesInWindow < minPerSecond else {
            exhausted += 1
            return false
        }
        retriesInFlight += 1
        retriesInWindow += 1
        return true
    }

    /// Reports the end of a retry that ``mayRetry(now:)`` reserved.
    package mutating func retryFinished() { retriesInFlight = max(0, retriesInFlight - 1) }

    /// Whether `now` falls in the current window. Time going backwards (which a monotonic clock
    /// does not) opens a new window rather than keeping the old one forever.
    private func isInWindow(_ now: Int64) -> Bool {
        guard let windowStart, now >= windowStart else { return false }
        let (elapsed, overflow) = now.subtractingReportingOverflow(windowStart)
        return !overflow && elapsed < Self.nanosecondsPerSecond
    }
}
