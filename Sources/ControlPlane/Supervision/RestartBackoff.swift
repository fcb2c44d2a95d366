/// When to restart a replica that died: the first restart after `initial`, each further one after
/// twice the previous delay up to `maximum`; a replica that ran for `resetAfter` or longer before
/// dying counts as healthy again and is restarted after `initial`. Pure: time comes in as instants.
package struct RestartBackoff<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    package let initial: Duration
    package let maximum: Duration
    package let resetAfter: Duration
    private var next: Duration
    private var startedAt: Instant?

    package init(
        initial: Duration = .milliseconds(100),
        maximum: Duration = .seconds(10),
        resetAfter: Duration = .seconds(30)
    ) {
        precondition(initial > .zero && maximum >= initial, "backoff needs 0 < initial <= maximum")
        self.initial = initial
        self.maximum = maximum
        self.resetAfter = resetAfter
        self.next = initial
    }

    /// Records that the replica was started at `instant`.
    package mutating func started(at instant: Instant) {
        startedAt = instant
    }

    /// Records that the replica exited (or failed to start) at `instant`; returns how long to
    /// wait before starting it again.
    package mutating func exited(at instant: Instant) -> Duration {
        if let startedAt, startedAt.duration(to: instant) >= resetAfter {
            next = initial
        }
        startedAt = nil
        let delay = next
        next = min(next * 2, maximum)
        return delay
    }
}
