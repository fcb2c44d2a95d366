import Shared

/// Last-minute traffic figures from a series of cumulative samples (pure; the sampler feeds it).
package enum TrafficWindow {
    /// Rates per endpoint between the first and last of `samples` (oldest first), and the
    /// window's length in seconds. Fewer than two samples give no rates.
    package static func rates(_ samples: [TrafficSample]) -> (seconds: Double, endpoints: [String: EndpointRates]) {
        guard let first = samples.first, let last = samples.last, last.time > first.time else { return (0, [:]) }
        var deltas: [String: TrafficDelta] = [:]
        for (previous, current) in zip(samples, samples.dropFirst()) {
            for (replica, report) in current.reports {
                let before = previous.reports[replica]
                // By name, once per report: a search of the list for each endpoint would cost the
                // square of the endpoints (10,000 of them: 50 million comparisons a sample).
                let earlierByName = before?.endpointsByName ?? [:]
                for traffic in report.endpoints where traffic.endpoint != TrafficReport.unmatchedEndpoint {
                    // A replica absent from the previous sample just started: all its counts are new.
                    deltas[traffic.endpoint, default: TrafficDelta()].add(
                        traffic,
                        since: before == nil
                            ? nil : earlierByName[traffic.endpoint] ?? EndpointTraffic(endpoint: traffic.endpoint))
                }
            }
        }
        let seconds = last.time - first.time
        var rates: [String: EndpointRates] = [:]
        for (endpoint, delta) in deltas {
            let total = delta.total
            rates[endpoint] = EndpointRates(
                requests: total, requestsPerSecond: Double(total) / seconds,
                errorRate: total == 0 ? nil : Double(delta.responses["5xx"] ?? 0) / Double(total),
                p99Seconds: quantile(0.99, buckets: delta.buckets))
        }
        return (seconds, rates)
    }

    /// The `q` quantile of a histogram (per-bucket counts over ``LatencyHistogram/upperBounds``),
    /// interpolated linearly inside its bucket as Prometheus' `histogram_quantile` does; the
    /// `+Inf` bucket answers the largest finite bound. Nil when the histogram is empty.
    package static func quantile(_ q: Double, buckets: [Int]) -> Double? {
        let total = buckets.reduce(0, +)
        guard total > 0 else { return nil }
        let bounds = LatencyHistogram.upperBounds
        let rank = q * Double(total)
        var below = 0
        for (index, count) in buckets.enumerated() {
            if count > 0 && Double(below + count) >= rank {
                guard index < bounds.count else { return bounds.last }
                let lower = index == 0 ? 0 : bounds[index - 1]
                return lower + (bounds[index] - lower) * (rank - Double(below)) / Double(count)
            }
            below += count
        }
        return bounds.last
    }
}
