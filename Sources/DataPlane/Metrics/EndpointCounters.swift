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

    package init(endpoint: String) {
        self.endpoint = endpoint
    }

    /// Counts one response of `status`.
    package func recordResponse(status: Int) {
        let index = min(max(status / 100, 1), 5) - 1
        responses[index] += 1
    }

    /// This endpoint's counters as sent in a report (only the non-zero classes and kinds).
    func traffic(endpoint: String) -> EndpointTraffic {
        var traffic = EndpointTraffic(
            endpoint: endpoint, requestDuration: requestDuration, upstreamDuration: upstreamDuration)
        for (index, count) in responses.enumerated() where count > 0 {
            traffic.responses["\(index + 1)xx"] = count
        }
        for kind in UpstreamErrorKind.allCases where upstreamErrors[kind.rawValue] > 0 {
            traffic.upstreamErrors[kind.label] = upstreamErrors[kind.rawValue]
        }
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
