/// Limits wrong guesses of the admin token at the status page's login: a bucket of
/// ``capacity`` failures that refills by one every ``refillInterval``. While it is empty, a login
/// is answered 429 without looking at the token, so guessing runs at most at the refill rate
/// (10 a minute by default). Right tokens never use the bucket up.
///
/// One bucket for all clients: the admin API listens on loopback by default, where every client
/// has the same address anyway. A pure value: the caller passes the time and keeps it under a lock.
struct LoginThrottle: Sendable {
    /// Wrong tokens accepted in a burst.
    let capacity: Int
    /// How long one more wrong token takes to be allowed again.
    let refillInterval: Duration
    private var available: Int
    private var lastRefill: ContinuousClock.Instant

    /// What to do with a login attempt.
    enum Decision: Equatable {
        /// Compare the token.
        case check
        /// Refuse without comparing; the bucket has room again after this long.
        case refuse(retryAfter: Duration)
    }

    init(capacity: Int = 10, refillInterval: Duration = .seconds(6), now: ContinuousClock.Instant) {
        self.capacity = capacity
        self.refillInterval = refillInterval
        self.available = capacity
        self.lastRefill = now
    }

    /// Whether an attempt arriving at `now` may be checked.
    mutating func attempt(now: ContinuousClock.Instant) -> Decision {
        refill(now: now)
        guard available == 0 else { return .check }
        return .refuse(retryAfter: lastRefill + refillInterval - now)
    }

    /// A checked attempt had the wrong token.
    mutating func failed(now: ContinuousClock.Instant) {
        refill(now: now)
        if available == capacity { lastRefill = now }
        available = max(0, available - 1)
    }

    private mutating func refill(now: ContinuousClock.Instant) {
        guard available < capacity, now > lastRefill else { return }
        let elapsed = now - lastRefill
        let earned = Int(elapsed / refillInterval)
        guard earned > 0 else { return }
        available = min(capacity, available + earned)
        lastRefill = available == capacity ? now : lastRefill + refillInterval * earned
    }
}
