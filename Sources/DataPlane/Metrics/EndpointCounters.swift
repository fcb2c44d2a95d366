import Shared

/// One endpoint's counters on one event loop. A class so the hot path increments in place;
/// created once per endpoint, never per request. Every count is stored inline, in the one
/// allocation of the object: at 10,000 endpoints a request touches its endpoint's counters in
/// one place, not in an array buffer each.
package final class EndpointCounters {
    /// The endpoint counted.
    package let endpoint: String
    /// Responses by status class: index 0 is `1xx` ... index 4 is `5xx`.
    package var responses = InlineArray<5, Int>(repeating: 0)
    package var requestDuration = HistogramCounts()
    package var upstreamDuration = HistogramCounts()
    /// Upstream failures by ``UpstreamErrorKind``.
    package var upstreamErrors = InlineArray<4, Int>(repeating: 0)
    /// Retries by ``RetryReason``.
    package var retries = InlineArray<4, Int>(repeating: 0)
    /// Retries the budget refused.
    package var retryBudgetExhausted = 0
    /// Requests the rate limit refused.
    package var rateLimited = 0

    private static let statusClasses = ["1xx", "2xx", "3xx", "4xx", "5xx"]

    package init(endpoint: String) {
        self.endpoint = endpoint
    }

    /// Counts one response of `status`.
    package func recordResponse(status: Int) {
        let index = min(max(status / 100, 1), 5) - 1
        responses[index] += 1
    }

    /// Adds these counters to `traffic` (another loop's of the same endpoint, or none yet): only
    /// the non-zero classes and kinds, as a report carries them.
    package func add(to traffic: inout EndpointTraffic) {
        for index in responses.indices where responses[index] > 0 {
            traffic.responses[Self.statusClasses[index], default: 0] += responses[index]
        }
        requestDuration.add(to: &traffic.requestDuration)
        upstreamDuration.add(to: &traffic.upstreamDuration)
        for kind in UpstreamErrorKind.allCases where upstreamErrors[kind.rawValue] > 0 {
            traffic.upstreamErrors[kind.label, default: 0] += upstreamErrors[kind.rawValue]
        }
        for reason in RetryReason.allCases where retries[reason.rawValue] > 0 {
            traffic.retries = traffic.retries ?? [:]
            traffic.retries![reason.label, default: 0] += retries[reason.rawValue]
        }
        if retryBudgetExhausted > 0 {
            traffic.retryBudgetExhausted = (traffic.retryBudgetExhausted ?? 0) + retryBudgetExhausted
        }
        if rateLimited > 0 { traffic.rateLimited = (traffic.rateLimited ?? 0) + rateLimited }
    }
}

/// A ``LatencyHistogram`` as counted on the hot path: its buckets inline.
package struct HistogramCounts {
    /// `LatencyHistogram.upperBounds.count + 1` buckets, as in ``LatencyHistogram/buckets``.
    package var buckets = InlineArray<16, Int>(repeating: 0)
    package var sum = 0.0
    package var count = 0

    /// Records one observation.
    package mutating func record(seconds: Double) {
        buckets[LatencyHistogram.bucketIndex(seconds: seconds)] += 1
        sum += seconds
        count += 1
    }

    /// Adds the counts to `histogram` (which has every bucket, as a report carries them).
    package func add(to histogram: inout LatencyHistogram) {
        for index in buckets.indices where index < histogram.buckets.count {
            histogram.buckets[index] += buckets[index]
        }
        histogram.sum += sum
        histogram.count += count
    }
}

@available(*, unavailable)
extension EndpointCounters: Sendable {}

/// Why an upstream exchange failed, as counted in `orch_upstream_errors_total{kind}`.
package enum UpstreamErrorKind: Int, CaseIterable, Sendable {
    case connect, timeout, reset, serverError

    package var label: String {
        switch self {
        case .connect: "connect"
        case .timeout: "timeout"
        case .reset: "reset"
        case .serverError: "5xx"
        }
    }
}

/// Why a try was retried, as counted in `orch_retries_total{reason}`.
package enum RetryReason: Int, CaseIterable, Sendable {
    /// The upstream refused the connection (or its TLS could not start).
    case connect
    /// The upstream had its limit of connections and waiting requests.
    case overloaded
    /// The answer's status is in the retry policy's `on`.
    case status
    /// No answer within `per_try_timeout`.
    case timeout

    package var label: String {
        switch self {
        case .connect: "connect"
        case .overloaded: "overloaded"
        case .status: "status"
        case .timeout: "timeout"
        }
    }
}
