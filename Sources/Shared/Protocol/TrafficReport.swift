/// A replica's traffic counters, cumulative since the replica started. Sent inside every
/// periodic ``ReplicaReport``; the control plane turns them into Prometheus series and into the
/// status page's last-minute rates by taking differences between reports.
public struct TrafficReport: Sendable, Equatable, Codable {
    /// One entry per endpoint id that saw traffic; requests that matched no endpoint are under
    /// ``unmatchedEndpoint``.
    public var endpoints: [EndpointTraffic]
    /// Client connections open now.
    public var activeConnections: Int
    /// Idle keep-alive upstream connections held in the pools now.
    public var pooledConnections: Int
    /// Access-log lines dropped because the writer fell behind; `nil` when the access log is off.
    public var accessLogDropped: Int?
    /// Responses by the protocol the client spoke and whether over TLS; `nil` in reports of
    /// replicas from before the TLS listener.
    public var requestsByProtocol: [ProtocolTraffic]?
    /// Client connections that became byte tunnels (WebSocket) and are open now; `nil` in reports
    /// of older replicas.
    public var openTunnels: Int?

    /// The pseudo endpoint id of requests that matched no endpoint (404, 400, the replica's own `/health`).
    public static let unmatchedEndpoint = "-"

    public init(
        endpoints: [EndpointTraffic] = [], activeConnections: Int = 0, pooledConnections: Int = 0,
        openTunnels: Int? = nil, accessLogDropped: Int? = nil, requestsByProtocol: [ProtocolTraffic]? = nil
    ) {
        self.openTunnels = openTunnels
        self.endpoints = endpoints
        self.activeConnections = activeConnections
        self.pooledConnections = pooledConnections
        self.accessLogDropped = accessLogDropped
        self.requestsByProtocol = requestsByProtocol
    }

    enum CodingKeys: String, CodingKey {
        case endpoints
        case activeConnections = "active_connections"
        case pooledConnections = "pooled_connections"
        case accessLogDropped = "access_log_dropped"
        // Optional: the synthesized decoding reads reports without it as `nil`.
        case requestsByProtocol = "requests_by_protocol"
        case openTunnels = "open_tunnels"
    }
}

extension TrafficReport {
    /// Each endpoint's entry by its name (the first, should a name repeat): what comparing one
    /// report with an earlier one looks entries up in, instead of searching the list for each.
    public var endpointsByName: [String: EndpointTraffic] {
        Dictionary(endpoints.map { ($0.endpoint, $0) }, uniquingKeysWith: { first, _ in first })
    }
}

/// Cumulative responses of one replica to clients of one protocol, over TLS or not.
public struct ProtocolTraffic: Sendable, Equatable, Codable {
    /// `http1` or `h2`.
    public var `protocol`: String
    public var tls: Bool
    public var requests: Int

    public init(protocol: String, tls: Bool, requests: Int) {
        self.protocol = `protocol`
        self.tls = tls
        self.requests = requests
    }

    /// The sum of two lists, one entry per protocol and TLS pair, in the order first seen.
    public static func merging(_ first: [ProtocolTraffic], _ second: [ProtocolTraffic]) -> [ProtocolTraffic] {
        var merged = first
        for entry in second {
            if let index = merged.firstIndex(where: { $0.protocol == entry.protocol && $0.tls == entry.tls }) {
                merged[index].requests += entry.requests
            } else {
                merged.append(entry)
            }
        }
        return merged
    }
}

/// Cumulative counters of one endpoint on one replica.
public struct EndpointTraffic: Sendable, Equatable, Codable {
    public var endpoint: String
    /// Responses sent to clients by status class: `"1xx"` ... `"5xx"`.
    public var responses: [String: Int]
    /// Time from request head received to response end sent.
    public var requestDuration: LatencyHistogram
    /// Time from upstream request start to upstream response end (requests that reached an upstream).
    public var upstreamDuration: LatencyHistogram
    /// Upstream failures by kind: `"connect"`, `"timeout"`, `"reset"`, `"5xx"`.
    public var upstreamErrors: [String: Int]
    /// Breaker state changes (any direction) of this endpoint's breaker.
    public var breakerTransitions: Int
    /// Retries by reason (`connect`, `overloaded`, `status`, `timeout`); `nil` when none.
    public var retries: [String: Int]?
    /// Retries the retry budget refused (the client got the original failure); `nil` when none.
    public var retryBudgetExhausted: Int?
    /// Requests answered 429 by the endpoint's rate limit; `nil` when none.
    public var rateLimited: Int?

    public init(
        endpoint: String, responses: [String: Int] = [:], requestDuration: LatencyHistogram = .init(),
        upstreamDuration: LatencyHistogram = .init(), upstreamErrors: [String: Int] = [:], breakerTransitions: Int = 0,
        retries: [String: Int]? = nil, retryBudgetExhausted: Int? = nil, rateLimited: Int? = nil
    ) {
        self.retries = retries
        self.retryBudgetExhausted = retryBudgetExhausted
        self.rateLimited = rateLimited
        self.endpoint = endpoint
        self.responses = responses
        self.requestDuration = requestDuration
        self.upstreamDuration = upstreamDuration
        self.upstreamErrors = upstreamErrors
        self.breakerTransitions = breakerTransitions
    }

    enum CodingKeys: String, CodingKey {
        case endpoint, responses
        case requestDuration = "request_duration"
        case upstreamDuration = "upstream_duration"
        case upstreamErrors = "upstream_errors"
        case breakerTransitions = "breaker_transitions"
        case retries
        case retryBudgetExhausted = "retry_budget_exhausted"
        case rateLimited = "rate_limited"
    }
}

/// Observation counts per latency bucket (not cumulative across buckets), their sum and count.
public struct LatencyHistogram: Sendable, Equatable, Codable {
    /// Upper bounds in seconds of every bucket but the last, which is `+Inf`.
    public static let upperBounds: [Double] = [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
    ]

    /// `upperBounds.count + 1` entries; entry `i` counts observations in `(bound[i-1], bound[i]]`.
    public var buckets: [Int]
    /// Sum of every observation, in seconds.
    public var sum: Double
    public var count: Int

    public init(
        buckets: [Int] = Array(repeating: 0, count: LatencyHistogram.upperBounds.count + 1), sum: Double = 0,
        count: Int = 0
    ) {
        self.buckets = buckets
        self.sum = sum
        self.count = count
    }

    /// The bucket index of an observation of `seconds`.
    public static func bucketIndex(seconds: Double) -> Int {
        upperBounds.firstIndex { seconds <= $0 } ?? upperBounds.count
    }

    /// Records one observation.
    public mutating func record(seconds: Double) {
        buckets[Self.bucketIndex(seconds: seconds)] += 1
        sum += seconds
        count += 1
    }
}
