/// How the control plane probes an endpoint. Global defaults come from the config's
/// `health_check:` block; an endpoint may override any key.
public struct HealthCheckPolicy: Sendable, Equatable, Codable {
    /// Whether the endpoint is probed at all.
    public var enabled: Bool
    /// Seconds between probes.
    public var interval: Double
    /// Seconds a probe may take.
    public var timeout: Double
    /// Consecutive failed probes that mark the endpoint unhealthy.
    public var unhealthyThreshold: Int
    /// Consecutive good probes that mark it healthy again.
    public var healthyThreshold: Int

    public static let defaults = HealthCheckPolicy(
        enabled: true, interval: 30, timeout: 10, unhealthyThreshold: 3, healthyThreshold: 2)

    public init(enabled: Bool, interval: Double, timeout: Double, unhealthyThreshold: Int, healthyThreshold: Int) {
        self.enabled = enabled
        self.interval = interval
        self.timeout = timeout
        self.unhealthyThreshold = unhealthyThreshold
        self.healthyThreshold = healthyThreshold
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case enabled, interval, timeout
        case unhealthyThreshold = "unhealthy_threshold"
        case healthyThreshold = "healthy_threshold"
    }

    static let allowedKeys = Set(CodingKeys.allCases.map(\.rawValue))
}

/// The keys an endpoint's own `health_check:` block sets; the rest come from the global policy.
public struct HealthCheckPolicyOverride: Sendable, Equatable, Codable {
    public var enabled: Bool?
    public var interval: Double?
    public var timeout: Double?
    public var unhealthyThreshold: Int?
    public var healthyThreshold: Int?

    public init() {}

    typealias CodingKeys = HealthCheckPolicy.CodingKeys

    /// The global policy with this block's keys laid over it.
    public func applied(to base: HealthCheckPolicy) -> HealthCheckPolicy {
        var policy = base
        if let enabled { policy.enabled = enabled }
        if let interval { policy.interval = interval }
        if let timeout { policy.timeout = timeout }
        if let unhealthyThreshold { policy.unhealthyThreshold = unhealthyThreshold }
        if let healthyThreshold { policy.healthyThreshold = healthyThreshold }
        return policy
    }

    /// Reads a `health_check:` block, reporting each bad key.
    static func read(_ reader: ObjectReader) -> HealthCheckPolicyOverride {
        var block = HealthCheckPolicyOverride()
        block.enabled = reader.bool("enabled")
        block.interval = reader.number("interval", in: 0.1...86_400)
        block.timeout = reader.number("timeout", in: 0.1...3_600)
        block.unhealthyThreshold = reader.integer("unhealthy_threshold", in: 1...100)
        block.healthyThreshold = reader.integer("healthy_threshold", in: 1...100)
        return block
    }
}
