import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// The connections one replica has open to each upstream (all its event loops together), and
/// the requests waiting for one: what ``UpstreamLimits`` bound. Touched when a connection opens
/// or closes and when a request starts or stops waiting, never per pooled request.
package final class UpstreamConnectionCounts: Sendable {
    package struct Count: Sendable, Equatable {
        package var open = 0
        package var pending = 0

        package init() {}
    }

    private let counts = NIOLockedValueBox([UpstreamConnectionPool.Key: Count]())
    /// Requests waiting over every upstream: read without the lock on every connection released.
    private let pendingTotal = Atomic<Int>(0)
    /// Every loop's pool, to ask the others to close idle connections to an upstream whose
    /// limit keeps a request waiting.
    private let pools = NIOLockedValueBox([NIOLoopBound<UpstreamConnectionPool>]())

    package init() {}

    func register(_ pool: NIOLoopBound<UpstreamConnectionPool>) {
        pools.withLockedValue { $0.append(pool) }
    }

    /// Asks every pool but `requester` to close its idle connections to `key`: a request waits for
    /// one, and idle connections on other loops would hold the limit until they expire.
    func shedIdle(_ key: UpstreamConnectionPool.Key, except requester: UpstreamConnectionPool) {
        let requester = ObjectIdentifier(requester)
        for bound in pools.withLockedValue({ $0 }) {
            bound.eventLoop.execute {
                let pool = bound.value
                if ObjectIdentifier(pool) != requester { pool.closeIdle(key) }
            }
        }
    }

    /// Whether a request waits for a connection to `key`. Cheap when none waits anywhere.
    func hasPending(_ key: UpstreamConnectionPool.Key) -> Bool {
        guard pendingTotal.load(ordering: .relaxed) > 0 else { return false }
        return count(key).pending > 0
    }

    /// Counts a new connection to `key` when fewer than `max` are open; `false` otherwise.
    package func reserveConnection(_ key: UpstreamConnectionPool.Key, max: Int) -> Bool {
        reserve(\.open, of: key, max: max)
    }

    /// A connection counted by ``reserveConnection(_:max:)`` closed (or never opened).
    package func connectionClosed(_ key: UpstreamConnectionPool.Key) {
        update(key) { $0.open = Swift.max(0, $0.open - 1) }
    }

    /// Counts a request waiting for a connection to `key` when fewer than `max` wait; `false`
    /// otherwise.
    package func reservePending(_ key: UpstreamConnectionPool.Key, max: Int) -> Bool {
        guard reserve(\.pending, of: key, max: max) else { return false }
        pendingTotal.add(1, ordering: .relaxed)
        return true
    }

    /// Adds one to `field` of `key`'s count when it is below `max`.
    private func reserve(_ field: WritableKeyPath<Count, Int>, of key: UpstreamConnectionPool.Key, max: Int) -> Bool {
        counts.withLockedValue { counts in
            var count = counts[key, default: Count()]
            guard count[keyPath: field] < max else { return false }
            count[keyPath: field] += 1
            counts[key] = count
            return true
        }
    }

    /// A request counted by ``reservePending(_:max:)`` stopped waiting.
    package func pendingEnded(_ key: UpstreamConnectionPool.Key) {
        update(key) { count in
            guard count.pending > 0 else { return }
            count.pending -= 1
            pendingTotal.subtract(1, ordering: .relaxed)
        }
    }

    /// What is counted for `key` now.
    package func count(_ key: UpstreamConnectionPool.Key) -> Count {
        counts.withLockedValue { $0[key] ?? Count() }
    }

    private func update(_ key: UpstreamConnectionPool.Key, _ change: (inout Count) -> Void) {
        counts.withLockedValue { counts in
            guard var count = counts[key] else { return }
            change(&count)
            // Keys whose counts are back to zero are dropped: the table holds live upstreams only.
            counts[key] = count == Count() ? nil : count
        }
    }
}
