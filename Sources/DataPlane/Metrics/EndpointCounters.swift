import Shared

/// One endpoint's counters on one event loop. A class so the hot path increments in place;
/// created once per endpoint, never per request.
package final class EndpointCounters {
    /// The endpoint counted.
    package let endpoint: String
    /// Responses by status class: index 0 is `1xx` ... index 4 is `5xx`.
    package var responses = [Int](repeating: 0, count: 5)
    package var requestDuration = LatencyHistogram()
    package var upstreamDuration = LatencyHistogram()
    /// Upstream failures by ``UpstreamErrorKind``.
    package var upstreamErrors = [Int](repeating: 0, count: UpstreamErrorKind.allCases.count)
    /// Retries by ``RetryReason``.
    package var retries = [Int](repeating: 0, count: RetryReason.allCases.count)
    /// Retries the budget refused.
    package var retryBudgetExhausted = 0
    /// Requests the rate limit refused.
    package var rateLimited = 0

    package init(endpoint: String) {
        self.endpoint = endpoint
    }

    /// Counts one response of `status`.
    package func recordResponse(status: Int) {
        let index = min(max(status / 100, 1), 5) - 1
        responses[index] += 1
    }

    /// This endpoint's counters as sent in a report (only the non-zero classes and kinds).
    package func traffic(endpoint: String) -> EndpointTraffic {
        var traffic = EndpointTraffic(
            endpoint: endpoint, requestDuration: requestDuration, upstreamDuration: upstreamDuration)
        for (index, count) in responses.enumerated() where count > 0 {
            traffic.responses["\(index + 1)xx"] = count
        }
        for kind in UpstreamErrorKind.allCases where upstreamErrors[kind.rawValue] > 0 {
            traffic.upstreamErrors[kind.label] = upstreamErrors[kind.rawValue]
        }
        if retries.contains(where: { $0 > 0 }) {
            traffic.retries = Dictionary(
                uniqueKeysWithValues: RetryReason.allCases.filter { retries[$0.rawValue] > 0 }.map {
                    ($0.label, retries[$0.rawValue])
                })
        }
        if retryBudgetExhausted > 0 { traffic.retryBudgetExhausted = retryBudgetExhausted }
        if rateLimited > 0 { traffic.rateLimited = rateLimited }
        return traffic
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
