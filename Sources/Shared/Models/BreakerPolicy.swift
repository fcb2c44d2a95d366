/// How a circuit breaker decides to open and recover. Global defaults come from the config's
/// `circuit_breaker:` block; an endpoint may override any key.
public struct BreakerPolicy: Sendable, Equatable, Codable {
    /// Consecutive failures that open a closed breaker.
    public var failureThreshold: Int
    /// Seconds an open breaker waits, counted from opening, before admitting trial requests.
    public var resetTimeout: Double
    /// Concurrent trial requests admitted while half-open.
    public var halfOpenMaxCalls: Int
    /// Upstream statuses that count as failures (connect errors and timeouts always do), each a
    /// code (`"503"`) or a class (`"5xx"`).
    public var failureStatuses: [String]
    /// Optional failure-rate mode: open when this share (0–1] of the last `window` calls failed.
    public var failureRateThreshold: Double?
    /// Calls the failure-rate mode looks back over.
    public var window: Int
    /// Calls needed in the window before the failure rate is judged.
    public var minimumCalls: Int
    /// Kept for compatibility with the original's config; only `error_response` is served.
    public var fallbackStrategy: String

    public static let defaults = BreakerPolicy(
        failureThreshold: 5,
        resetTimeout: 60,
        halfOpenMaxCalls: 3,
        failureStatuses: ["5xx"],
        failureRateThreshold: nil,
        window: 20,
        minimumCalls: 10,
        fallbackStrategy: "error_response"
    )

    public init(
        failureThreshold: Int,
        resetTimeout: Double,
        halfOpenMaxCalls: Int,
        failureStatuses: [String],
        failureRateThreshold: Double?,
        window: Int,
        minimumCalls: Int,
        fallbackStrategy: String
    ) {
        self.failureThreshold = failureThreshold
        self.resetTimeout = resetTimeout
        self.halfOpenMaxCalls = halfOpenMaxCalls
        self.failureStatuses = failureStatuses
        self.failureRateThreshold = failureRateThreshold
        self.window = window
        self.minimumCalls = minimumCalls
        self.fallbackStrategy = fallbackStrategy
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case failureThreshold = "failure_threshold"
        case resetTimeout = "reset_timeout"
        case halfOpenMaxCalls = "half_open_max_calls"
        case failureStatuses = "failure_statuses"
        case failureRateThreshold = "failure_rate_threshold"
        case window
        case minimumCalls = "minimum_calls"
        case fallbackStrategy = "fallback_strategy"
    }

    /// Keys accepted in a `circuit_breaker:` block. `fallback_response` is accepted and ignored
    /// for compatibility with the original's files.
    static let allowedKeys = Set(CodingKeys.allCases.map(\.rawValue)).union(["fallback_response"])
    static let fallbackStrategies: Set<String> = ["error_response", "cached_response", "default_response", "redirect"]

    /// A status code (`503`) or a class (`"5xx"`), normalised to a string.
    static func readStatus(_ node: ConfigNode, _ field: String, _ context: ValidationContext) -> String? {
        let text: String
        switch node.value {
        case .int(let code): text = String(code)
        case .string(let value): text = value.lowercased()
        default: text = ""
        }
        if StatusCodeSet.codes(of: text) != nil { return text }
        context.fail(field, node.line, "must be a status code (503) or class (\"5xx\")")
        return nil
    }

    /// Whether an upstream status counts as a failure under this policy.
    public func isFailure(status: Int) -> Bool {
        failureStatusSet.contains(status)
    }
}

/// The keys an endpoint's own `circuit_breaker:` block sets; the rest come from the global policy.
public struct BreakerPolicyOverride: Sendable, Equatable, Codable {
    public var failureThreshold: Int?
    public var resetTimeout: Double?
    public var halfOpenMaxCalls: Int?
    public var failureStatuses: [String]?
    public var failureRateThreshold: Double?
    public var window: Int?
    public var minimumCalls: Int?
    public var fallbackStrategy: String?

    public init() {}

    typealias CodingKeys = BreakerPolicy.CodingKeys

    /// The global policy with this block's keys laid over it.
    public func applied(to base: BreakerPolicy) -> BreakerPolicy {
        var policy = base
        if let failureThreshold { policy.failureThreshold = failureThreshold }
        if let resetTimeout { policy.resetTimeout = resetTimeout }
        if let halfOpenMaxCalls { policy.halfOpenMaxCalls = halfOpenMaxCalls }
        if let failureStatuses { policy.failureStatuses = failureStatuses }
        if let failureRateThreshold { policy.failureRateThreshold = failureRateThreshold }
        if let window { policy.window = window }
        if let minimumCalls { policy.minimumCalls = minimumCalls }
        if let fallbackStrategy { policy.fallbackStrategy = fallbackStrategy }
        return policy
    }

    /// Reads a `circuit_breaker:` block, reporting each bad key.
    static func read(_ reader: ObjectReader) -> BreakerPolicyOverride {
        var block = BreakerPolicyOverride()
        block.failureThreshold = reader.integer("failure_threshold", in: 1...1000)
        block.resetTimeout = reader.number("reset_timeout", in: 0.1...86_400)
        block.halfOpenMaxCalls = reader.integer("half_open_max_calls", in: 1...100)
        let context = reader.validationContext
        block.failureStatuses = reader.list("failure_statuses") { node, field in
            BreakerPolicy.readStatus(node, field, context)
        }
        block.failureRateThreshold = reader.number("failure_rate_threshold", in: 0.01...1)
        block.window = reader.integer("window", in: 1...10_000)
        block.minimumCalls = reader.integer("minimum_calls", in: 1...10_000)
        if let value = reader.string("fallback_strategy") {
            if BreakerPolicy.fallbackStrategies.contains(value) {
                block.fallbackStrategy = value
            } else {
                let names = BreakerPolicy.fallbackStrategies.sorted().joined(separator: ", ")
                reader.fail("fallback_strategy", "must be one of \(names)")
            }
        }
        if let minimumCalls = block.minimumCalls, let window = block.window, minimumCalls > window {
            reader.fail("minimum_calls", "must not exceed window (\(window))")
        }
        return block
    }
}
