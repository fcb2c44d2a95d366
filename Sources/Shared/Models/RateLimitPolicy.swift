/// An endpoint's request rate limit (`rate_limit:`): a bucket of `burst` requests per key,
/// refilled at `requestsPerSecond`, kept by each replica.
public struct RateLimitPolicy: Sendable, Equatable, Hashable, Codable {
    /// Requests per second each key may make over time (fractions allowed: `0.5` is one request
    /// every two seconds).
    public var requestsPerSecond: Double
    /// Requests a key may make at once after a quiet period: the bucket's size.
    public var burst: Int
    /// What requests are counted by.
    public var key: RateLimitKey
    /// Whether each replica allows the whole rate, or the connected replicas share it.
    public var scope: RateLimitScope

    public init(
        requestsPerSecond: Double, burst: Int? = nil, key: RateLimitKey = .clientIP, scope: RateLimitScope = .replica
    ) {
        self.requestsPerSecond = requestsPerSecond
        self.burst = burst ?? Self.defaultBurst(requestsPerSecond)
        self.key = key
        self.scope = scope
    }

    /// What one of `replicas` connected replicas allows: the whole limit with `scope: replica`,
    /// its share of the rate and of the burst (at least one request) with `scope: gateway`.
    public func share(replicas: Int) -> (requestsPerSecond: Double, burst: Int) {
        guard scope == .gateway, replicas > 1 else { return (requestsPerSecond, burst) }
        return (max(Self.rates.lowerBound, requestsPerSecond / Double(replicas)), max(1, burst / replicas))
    }

    /// One second's worth of requests, at least one.
    static func defaultBurst(_ requestsPerSecond: Double) -> Int {
        max(1, Int(min(requestsPerSecond, Double(rates.upperBound)).rounded(.up)))
    }

    public static let rates = 0.001...1_000_000.0
    public static let bursts = 1...1_000_000
    static let allowedKeys: Set<String> = ["requests_per_second", "burst", "key", "scope"]

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            requestsPerSecond: try container.decode(Double.self, forKey: .requestsPerSecond),
            burst: try container.decode(Int.self, forKey: .burst),
            key: try container.decode(RateLimitKey.self, forKey: .key),
            scope: try container.decodeIfPresent(RateLimitScope.self, forKey: .scope) ?? .replica)
    }

    enum CodingKeys: String, CodingKey {
        case requestsPerSecond = "requests_per_second"
        case burst, key, scope
    }

    /// Reads a `rate_limit:` block, reporting each bad key; `nil` when it has a problem.
    static func read(_ reader: ObjectReader) -> RateLimitPolicy? {
        let context = reader.validationContext
        let before = context.issues.count
        let rate = reader.number("requests_per_second", in: rates)
        if rate == nil, !reader.has("requests_per_second") { reader.requireMissing("requests_per_second") }
        let burst = reader.integer("burst", in: bursts)
        var key = RateLimitKey.clientIP
        if let text = reader.string("key") {
            if let parsed = RateLimitKey(text) { key = parsed } else { reader.fail("key", RateLimitKey.expected) }
        }
        let scope = reader.enumeration("scope", RateLimitScope.self) ?? .replica
        guard let rate, context.issues.count == before else { return nil }
        return RateLimitPolicy(requestsPerSecond: rate, burst: burst, key: key, scope: scope)
    }
}

/// What a rate limit counts requests by.
public enum RateLimitKey: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The client's address (the connection's peer).
    case clientIP
    /// One bucket for every request.
    case global
    /// A request header's value (`header:X-API-Key`); requests without it share one bucket.
    /// The name is kept lower-cased.
    case header(String)

    /// `client_ip`, `global` or `header:NAME`.
    public var description: String {
        switch self {
        case .clientIP: "client_ip"
        case .global: "global"
        case .header(let name): "header:\(name)"
        }
    }

    /// What a key must look like, as validation says it.
    public static let expected = "must be client_ip, global or header:NAME (a header name of 1-64 token characters)"

    /// Parses `client_ip`, `global` or `header:NAME`.
    public init?(_ text: String) {
        switch text {
        case "client_ip": self = .clientIP
        case "global": self = .global
        default:
            guard text.hasPrefix("header:") else { return nil }
            let name = text.dropFirst("header:".count)
            guard !name.isEmpty, name.utf8.count <= 64, name.utf8.allSatisfy(Self.isTokenByte) else { return nil }
            self = .header(name.lowercased())
        }
    }

    /// RFC 9110's `tchar`.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default: "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let key = RateLimitKey(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: Self.expected))
        }
        self = key
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Whose limit a rate limit is.
public enum RateLimitScope: String, Sendable, Codable, CaseIterable {
    /// Each replica allows the whole rate.
    case replica
    /// The replicas connected to the control plane share the rate: each allows its share.
    case gateway
}
