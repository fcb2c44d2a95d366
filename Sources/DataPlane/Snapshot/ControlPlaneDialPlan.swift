/// Which control plane a replica dials next, and how long it waits first: the addresses in
/// turn, moving on after every attempt that ends (failed, refused, or a conversation that
/// closed), with a capped exponential backoff and jitter so that many replicas that lost the
/// same control plane do not all dial the next one at the same instant.
package struct ControlPlaneDialPlan: Sendable, Equatable {
    /// How an attempt ended.
    package enum Outcome: Sendable, Equatable {
        /// No conversation: the connection, the TLS handshake or the hello failed.
        case failed
        /// A conversation ran (hello was accepted) and then ended.
        case conversed
        /// The control plane refused this replica (its version or certificate name).
        case refused
    }

    package let addressCount: Int
    package let initialBackoff: Duration
    package let maximumBackoff: Duration
    /// The address to dial now, an index into the replica's list.
    package private(set) var current = 0
    /// The backoff the next failure waits (before jitter).
    package private(set) var backoff: Duration

    package init(addressCount: Int, initialBackoff: Duration, maximumBackoff: Duration) {
        precondition(addressCount > 0, "a dial plan needs an address")
        self.addressCount = addressCount
        self.initialBackoff = initialBackoff
        self.maximumBackoff = max(initialBackoff, maximumBackoff)
        backoff = initialBackoff
    }

    /// Records how the attempt on ``current`` ended, moves to the next address, and returns
    /// how long to wait before dialing it. `fraction` is a random number in `0...1`, which
    /// picks the wait between half and all of the backoff.
    package mutating func ended(_ outcome: Outcome, fraction: Double) -> Duration {
        current = (current + 1) % addressCount
        let base: Duration
        switch outcome {
        case .conversed:
            backoff = initialBackoff
            base = initialBackoff
        case .failed:
            base = backoff
            backoff = min(backoff * 2, maximumBackoff)
        case .refused:
            base = maximumBackoff
            backoff = maximumBackoff
        }
        return base * (0.5 + 0.5 * min(1, max(0, fraction)))
    }
}
