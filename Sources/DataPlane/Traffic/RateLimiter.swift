/// A per-key request rate limit, as pure state: GCRA (the generic cell rate algorithm, a token
/// bucket kept as one number per key). Each key may make `burst` requests at once and
/// `rate` requests per second over time. No clocks, locks or I/O: the caller passes the
/// current monotonic time in nanoseconds (for example `NIODeadline.now().uptimeNanoseconds`).
///
/// Memory is bounded: at most `capacity` keys are kept, and a new key beyond that evicts the
/// least recently used one. An evicted key that comes back starts with a full bucket: that is
/// the price of bounded memory (a client cycling through more than `capacity` keys gets more
/// than its share).
///
/// Each admission is O(1) and, once its key is known, allocates nothing: a dictionary maps a key
/// to a slot of `slots`, and the slots form an intrusive doubly linked list, most recently used
/// first.
package struct RateLimiter<Key: Hashable> {
    /// One key's state and its neighbours in the recency list.
    fileprivate struct Slot {
        var key: Key
        /// The theoretical arrival time: the instant (ns) at which the bucket is full again.
        var tat: Int64
        var prev: Int
        var next: Int
    }

    private static var none: Int { -1 }
    /// Bounds intervals and windows so that sums of two of them and a time never overflow.
    private static var maxSpan: Int64 { Int64.max / 4 }
    private static var nanosecondsPerSecond: Int64 { 1_000_000_000 }

    /// Requests per second each key may make over time.
    package private(set) var rate: Double
    /// Requests a key may make at once: the bucket's size.
    package private(set) var burst: Int
    /// The most keys kept at once.
    package let capacity: Int
    /// Nanoseconds between two requests at the sustained rate (the cost of one request).
    private var interval: Int64
    /// `interval × burst`: how far ahead of now a key's theoretical arrival time may run.
    private var window: Int64

    private var slotOfKey: [Key: Int] = [:]
    private var slots: [Slot] = []
    /// Most recently used slot.
    private var head = Self.none
    /// Least recently used slot: the next one evicted.
    private var tail = Self.none

    /// - Parameters:
    ///   - rate: requests per second (fractions allowed: `0.5` is one request every two seconds).
    ///   - burst: requests allowed back to back, at least 1.
    ///   - capacity: the most keys kept at once, at least 1.
    package init(rate: Double, burst: Int, capacity: Int = 10_000) {
        precondition(capacity > 0, "a rate limiter keeps at least one key")
        self.capacity = capacity
        self.rate = rate
        self.burst = burst
        (interval, window) = Self.spans(rate: rate, burst: burst)
    }

    /// The number of keys kept, at most ``capacity``.
    package var count: Int { slotOfKey.count }

    /// Whether `key` is kept (not yet seen, or evicted, when false).
    package func contains(_ key: Key) -> Bool { slotOfKey[key] != nil }

    /// Adopts a new rate and burst (a configuration update) at `now`, keeping every key's state:
    /// a key keeps the number of requests it has used of its bucket (at most the new burst), so
    /// a raised burst is available at once and a lowered one leaves a busy key at worst empty.
    /// O(number of keys).
    package mutating func update(rate: Double, burst: Int, now: Int64) {
        let (oldInterval, oldWindow) = (interval, window)
        self.rate = rate
        self.burst = burst
        (interval, window) = Self.spans(rate: rate, burst: burst)
        guard interval != oldInterval || window < oldWindow else { return }
        for index in slots.indices {
            let used = Double(Self.usedSpan(slots[index].tat, now: now, window: oldWindow)) / Double(oldInterval)
            let ahead = min(used * Double(interval), Double(window))
            slots[index].tat = Self.sum(now, Int64(ahead.rounded()))
        }
    }

    /// Decides whether a request of `key` at `now` (monotonic nanoseconds) may go ahead, taking
    /// one request from the key's bucket when it may. Marks the key most recently used.
    package mutating func admit(key: Key, now: Int64) -> RateLimitDecision {
        let index = slot(for: key, now: now)
        let ahead = Self.usedSpan(slots[index].tat, now: now, window: window)
        let afterRequest = ahead + interval
        if afterRequest <= window {
            slots[index].tat = Self.sum(now, afterRequest)
            return decision(allowed: true, ahead: afterRequest)
        }
        return decision(allowed: false, ahead: ahead)
    }

    /// How far ahead of `now` a theoretical arrival time is: the used part of the bucket, as
    /// time, between 0 (full) and `window` (empty).
    private static func usedSpan(_ tat: Int64, now: Int64, window: Int64) -> Int64 {
        min(max(Self.difference(tat, now), 0), window)
    }

    private func decision(allowed: Bool, ahead: Int64) -> RateLimitDecision {
        // When refused, the next request fits once `ahead + interval <= window`.
        let wait = ahead + interval - window
        return RateLimitDecision(
            allowed: allowed,
            limit: burst,
            remaining: Int((window - ahead) / interval),
            resetSeconds: Self.secondsRoundedUp(ahead),
            retryAfterSeconds: allowed ? nil : max(1, Self.secondsRoundedUp(wait))
        )
    }

    /// The cost of one request and the bucket's size, in nanoseconds, both clamped so that no
    /// rate or burst (however out of range) traps or overflows.
    private static func spans(rate: Double, burst: Int) -> (interval: Int64, window: Int64) {
        let exact = Double(nanosecondsPerSecond) / rate
        // A rate of 0, below 0 or NaN is the slowest there is; one above a billion the fastest.
        let interval: Int64 =
            if exact.isNaN || exact < 0 || exact >= Double(maxSpan) { maxSpan } else { max(1, Int64(exact.rounded())) }
        let (window, overflow) = interval.multipliedReportingOverflow(by: Int64(max(1, burst)))
        return (interval, overflow ? maxSpan : min(window, maxSpan))
    }

    private static func secondsRoundedUp(_ nanoseconds: Int64) -> Int {
        guard nanoseconds > 0 else { return 0 }
        let (seconds, rest) = nanoseconds.quotientAndRemainder(dividingBy: nanosecondsPerSecond)
        return Int(rest == 0 ? seconds : seconds + 1)
    }

    private static func sum(_ a: Int64, _ b: Int64) -> Int64 {
        let (result, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b > 0 ? .max : .min) : result
    }

    private static func difference(_ a: Int64, _ b: Int64) -> Int64 {
        let (result, overflow) = a.subtractingReportingOverflow(b)
        return overflow ? (a > b ? .max : .min) : result
    }

    // MARK: Recency list

    /// The slot of `key`, moved to the front; a new key gets a full bucket, in a new slot or in
    /// the least recently used one's.
    private mutating func slot(for key: Key, now: Int64) -> Int {
        if let index = slotOfKey[key] {
            if index != head {
                unlink(index)
                pushFront(index)
            }
            return index
        }
        let index: Int
        if slots.count < capacity {
            index = slots.count
            slots.append(Slot(key: key, tat: now, prev: Self.none, next: Self.none))
        } else {
            index = tail
            unlink(index)
            slotOfKey.removeValue(forKey: slots[index].key)
            slots[index].key = key
            slots[index].tat = now
        }
        slotOfKey[key] = index
        pushFront(index)
        return index
    }

    private mutating func unlink(_ index: Int) {
        let prev = slots[index].prev
        let next = slots[index].next
        if prev == Self.none { head = next } else { slots[prev].next = next }
        if next == Self.none { tail = prev } else { slots[next].prev = prev }
        slots[index].prev = Self.none
        slots[index].next = Self.none
    }

    private mutating func pushFront(_ index: Int) {
        slots[index].prev = Self.none
        slots[index].next = head
        if head != Self.none { slots[head].prev = index }
        head = index
        if tail == Self.none { tail = index }
    }
}

extension RateLimiter: Sendable where Key: Sendable {}
extension RateLimiter.Slot: Sendable where Key: Sendable {}

/// The answer of ``RateLimiter/admit(key:now:)``, with what the `RateLimit-*` header fields
/// (IETF draft "RateLimit header fields for HTTP") and `Retry-After` say.
package struct RateLimitDecision: Sendable, Equatable {
    /// Whether the request may go ahead; when not, the gateway answers 429.
    package var allowed: Bool
    /// The bucket's size (the burst).
    package var limit: Int
    /// Requests the key may still make right now.
    package var remaining: Int
    /// Whole seconds (rounded up) until the key's bucket is full again; 0 when it is full.
    package var resetSeconds: Int
    /// Whole seconds (rounded up, at least 1) until a request may go ahead; `nil` when allowed.
    package var retryAfterSeconds: Int?

    package init(allowed: Bool, limit: Int, remaining: Int, resetSeconds: Int, retryAfterSeconds: Int?) {
        self.allowed = allowed
        self.limit = limit
        self.remaining = remaining
        self.resetSeconds = resetSeconds
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// The response header fields: `ratelimit-limit`, `ratelimit-remaining` and `ratelimit-reset`
    /// on every response of a limited endpoint, plus `retry-after` on a refusal.
    package func headers() -> [(String, String)] {
        var fields = [
            ("ratelimit-limit", String(limit)),
            ("ratelimit-remaining", String(remaining)),
            ("ratelimit-reset", String(resetSeconds)),
        ]
        if let retryAfterSeconds { fields.append(("retry-after", String(retryAfterSeconds))) }
        return fields
    }
}
