import Shared

/// Reports with random content: names with quotes, escapes and any Unicode, optional parts
/// present or not, counts and durations anywhere in their ranges.
enum RandomReport {
    static func make(using random: inout some RandomNumberGenerator) -> ReplicaReport {
        func name() -> String {
            String(
                (0..<Int.random(in: 0...8, using: &random)).map { _ in "ab\"\\é\n/😀".randomElement(using: &random)!
                })
        }
        func maybe<T>(_ value: @autoclosure () -> T) -> T? { Bool.random(using: &random) ? value() : nil }
        func counts() -> [String: Int] {
            Dictionary(
                (0..<Int.random(in: 0...3, using: &random)).map { _ in
                    (name(), Int.random(in: 0...1_000, using: &random))
                }, uniquingKeysWith: +)
        }
        func histogram() -> LatencyHistogram {
            LatencyHistogram(
                buckets: (0...LatencyHistogram.upperBounds.count).map { _ in Int.random(in: 0...99, using: &random)
                },
                sum: Double.random(in: 0...1_000, using: &random), count: Int.random(in: 0...10_000, using: &random)
            )
        }
        let endpoints = (0..<Int.random(in: 0...4, using: &random)).map { _ in
            EndpointTraffic(
                endpoint: name(), responses: counts(), requestDuration: histogram(), upstreamDuration: histogram(),
                upstreamErrors: counts(), breakerTransitions: Int.random(in: 0...9, using: &random),
                retries: maybe(counts()), retryBudgetExhausted: maybe(Int.random(in: 0...9, using: &random)),
                rateLimited: maybe(Int.random(in: 0...9, using: &random)))
        }
        let breakers = (0..<Int.random(in: 0...3, using: &random)).map { _ in
            BreakerReport(
                endpoint: name(), state: name(), failureCount: Int.random(in: 0...9, using: &random),
                lastFailureTime: maybe(name()), lastSuccessTime: maybe(name()), stateChangedTime: name(),
                halfOpenCalls: 1, rejected: 2, transitions: 3, failureThreshold: 4,
                resetTimeout: Double.random(in: 0...100, using: &random), halfOpenMaxCalls: 5,
                upstreams: maybe(
                    [
                        UpstreamBreakerReport(
                            url: name(), state: name(), failureCount: 1, lastFailureTime: maybe(name()),
                            stateChangedTime: name(), rejected: 2, transitions: 3, inFlight: 4, requests: 5,
                            errors: 6)
                    ]))
        }
        let report = ReplicaReport(
            requests: maybe(Int.random(in: 0...1_000_000, using: &random)),
            draining: maybe(Bool.random(using: &random)),
            breakers: maybe(breakers),
            traffic: maybe(
                TrafficReport(
                    endpoints: endpoints, activeConnections: 3, pooledConnections: 4,
                    openTunnels: maybe(Int.random(in: 0...9, using: &random)),
                    accessLogDropped: maybe(Int.random(in: 0...9, using: &random)),
                    requestsByProtocol: maybe([
                        ProtocolTraffic(protocol: name(), tls: Bool.random(using: &random), requests: 8)
                    ]))),
            healthSeq: maybe(Int.random(in: 0...99, using: &random)))
        return report
    }
}
