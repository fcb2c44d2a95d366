import Shared

/// The replicas' cumulative traffic counters as seen at one moment.
package struct TrafficSample: Sendable, Equatable {
    /// Seconds on a monotonic clock.
    package var time: Double
    /// The latest report of each replica, by replica id.
    package var reports: [String: TrafficReport]

    package init(time: Double, reports: [String: TrafficReport]) {
        self.time = time
        self.reports = reports
    }
}

/// One endpoint's traffic over a window, summed over replicas.
package struct EndpointRates: Sendable, Equatable {
    /// Responses sent in the window.
    package var requests: Int
    package var requestsPerSecond: Double
    /// Share of 5xx responses (gateway errors included): nil without requests.
    package var errorRate: Double?
    /// 99th percentile of the request duration in seconds: nil without requests.
    package var p99Seconds: Double?
}

/// Counter increments between samples: the sum of responses by status class and the
/// request-duration histogram.
struct TrafficDelta: Equatable {
    var responses: [String: Int] = [:]
    var buckets: [Int] = Array(repeating: 0, count: LatencyHistogram.upperBounds.count + 1)

    var total: Int { responses.values.reduce(0, +) }

    /// Adds what `current` counted since `previous`. A replica restarting under the same id
    /// resets its counters: then everything `current` counted is new.
    mutating func add(_ current: EndpointTraffic, since previous: EndpointTraffic?) {
        let previousTotal = previous?.responses.values.reduce(0, +) ?? 0
        let reset =
            previous == nil || current.responses.values.reduce(0, +) < previousTotal
            || current.requestDuration.count < (previous?.requestDuration.count ?? 0)
        let base = reset ? nil : previous
        for (statusClass, count) in current.responses {
            responses[statusClass, default: 0] += max(0, count - (base?.responses[statusClass] ?? 0))
        }
        for index in buckets.indices where index < current.requestDuration.buckets.count {
            let before =
                base.map { index < $0.requestDuration.buckets.count ? $0.requestDuration.buckets[index] : 0 } ?? 0
            buckets[index] += max(0, current.requestDuration.buckets[index] - before)
        }
    }
}
