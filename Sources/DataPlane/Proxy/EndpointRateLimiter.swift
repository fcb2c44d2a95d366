import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import Shared

/// One endpoint's rate limit on one replica: its buckets, shared by all the replica's event
/// loops (a limit is the replica's, not each loop's). Owned by the endpoint's
/// ``EndpointUpstreams``, so it lives as long as the endpoint keeps its limit; a changed limit
/// starts with fresh buckets. Each request takes the lock for one bucket update.
package final class EndpointRateLimiter: Sendable {
    package let policy: RateLimitPolicy
    /// The buckets, and the replica count their rate and burst were last divided by.
    private let limiter: NIOLockedValueBox<(RateLimiter<String?>, replicas: Int)>

    /// Keys (client addresses, header values) remembered; the least recently seen beyond it is
    /// forgotten, and starts again with a full bucket.
    static let maximumKeys = 10_000
    /// Header values longer than this are cut to it before they become a key.
    static let maximumKeyBytes = 256

    package init(policy: RateLimitPolicy) {
        self.policy = policy
        limiter = NIOLockedValueBox(
            (RateLimiter(rate: policy.requestsPerSecond, burst: policy.burst, capacity: Self.maximumKeys), 1))
    }

    /// The key a request counts under: its client's address, a header's value (`nil` when the
    /// request has none: those share one bucket), or one key for all.
    package func key(clientIP: String?, headers: HTTPHeaders) -> String? {
        switch policy.key {
        case .clientIP: return clientIP ?? ""
        case .global: return ""
        case .header(let name):
            guard let value = headers.first(name: name) else { return nil }
            return value.utf8.count > Self.maximumKeyBytes
                ? String(decoding: value.utf8.prefix(Self.maximumKeyBytes), as: UTF8.self) : value
        }
    }

    /// Counts a request under `key` at `now`; with `scope: gateway`, against this replica's
    /// share of the limit among `replicas`.
    package func admit(key: String?, now: NIODeadline, replicas: Int = 1) -> RateLimitDecision {
        let nanoseconds = Int64(truncatingIfNeeded: now.uptimeNanoseconds)
        let replicas = policy.scope == .gateway ? max(1, replicas) : 1
        return limiter.withLockedValue { state in
            if state.replicas != replicas {
                let share = policy.share(replicas: replicas)
                state.0.update(rate: share.requestsPerSecond, burst: share.burst, now: nanoseconds)
                state.replicas = replicas
            }
            return state.0.admit(key: key, now: nanoseconds)
        }
    }
}
