/// Whether this control plane leads, from the answers of the lease row (``LeaderLease``): pure,
/// driven by the attempts' results and the passing of time, so that the rules are tested with
/// made-up instants.
///
/// The lease's expiry is kept in the database's clock, which this process does not share. So a
/// leader counts its lease as held only until `ttl` after it *sent* the renewal that the
/// database granted: the database set the expiry at least that late. Another node can only take
/// the lease after the database's expiry, so two nodes never both believe they lead (given
/// clocks that tick at the same rate, not the same time).
package struct LeaseStateMachine: Sendable, Equatable {
    package enum Role: Sendable, Equatable {
        case follower
        /// Leads under this fencing epoch: every leader-only write checks it.
        case leader(epoch: Int64)
    }

    /// What changed, for the caller to act on.
    package enum Transition: Sendable, Equatable {
        case none
        case becameLeader(epoch: Int64)
        /// Leads again under a new epoch: the lease lapsed in between, so whatever this node did
        /// under the old one is fenced off, and it starts its leader's work again.
        case leadsAgain(previous: Int64, epoch: Int64)
        case stoppedLeading(epoch: Int64, reason: String)
    }

    package let ttl: Duration
    package private(set) var role: Role = .follower
    /// Until when (this process's clock) the lease is surely held.
    package private(set) var heldUntil: ContinuousClock.Instant?
    /// The node the database last named as the holder.
    package private(set) var holder: String?

    package init(ttl: Duration) {
        self.ttl = ttl
    }

    /// How often to renew: a third of the lease's time, so that two renewals may fail before it lapses.
    package var renewInterval: Duration { ttl / 3 }

    /// The database answered an attempt sent at `sentAt`: `holder` holds the lease under `epoch`
    /// (this node when `holder == me`).
    package mutating func answered(
        holder: String, epoch: Int64, me: String, sentAt: ContinuousClock.Instant, now: ContinuousClock.Instant
    ) -> Transition {
        self.holder = holder
        guard holder == me, sentAt + ttl > now else { return stepDown("another node holds the lease", now: now) }
        heldUntil = sentAt + ttl
        switch role {
        case .leader(let current) where current == epoch:
            return .none
        case .leader(let current):
            role = .leader(epoch: epoch)
            return .leadsAgain(previous: current, epoch: epoch)
        case .follower:
            role = .leader(epoch: epoch)
            return .becameLeader(epoch: epoch)
        }
    }

    /// An attempt failed (database unreachable, timed out): nothing is known, so a leader
    /// keeps leading only while its last grant holds.
    package mutating func failed(now: ContinuousClock.Instant) -> Transition {
        tick(now: now)
    }

    /// Time passed: a leader whose lease may have lapsed steps down.
    package mutating func tick(now: ContinuousClock.Instant) -> Transition {
        guard case .leader = role, let heldUntil, now >= heldUntil else { return .none }
        return stepDown("the lease could not be renewed in time", now: now)
    }

    private mutating func stepDown(_ reason: String, now: ContinuousClock.Instant) -> Transition {
        heldUntil = nil
        guard case .leader(let epoch) = role else { return .none }
        role = .follower
        return .stoppedLeading(epoch: epoch, reason: reason)
    }
}
