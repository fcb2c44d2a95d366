/// When a replica sends a request again (`retry:`). A refused connection (nothing was sent) is
/// retried for any method; a status in `on` or a per-try timeout only for idempotent methods
/// whose body fits the replay buffer (64 KiB); never once the response began. Every retry goes
/// to another upstream of the pool when there is one, within the endpoint's retry budget.
public struct RetryPolicy: Sendable, Equatable, Hashable, Codable {
    /// Retries after the first try (0 turns retrying off, connect failures included).
    public var attempts: Int
    /// Upstream statuses retried, each a code (`"503"`) or a class (`"5xx"`), as breaker
    /// policies write them.
    public var on: [String]
    /// Retries in flight may be at most this share (percent) of the endpoint's requests in flight...
    public var budgetPercent: Int
    /// ... or, when that allows fewer, this many retries per second.
    public var minPerSecond: Int
    /// Seconds one try has for its response head before the request goes to another upstream
    /// (idempotent requests only); `nil`: the endpoint's `timeout` bounds the whole request.
    public var perTryTimeout: Double?

    /// What an endpoint without a `retry:` block does: one retry of a connect failure.
    public static let defaults = RetryPolicy(attempts: 1)

    public init(
        attempts: Int, on: [String] = [], budgetPercent: Int = 20, minPerSecond: Int = 3, perTryTimeout: Double? = nil
    ) {
        self.attempts = attempts
        self.on = on
        self.budgetPercent = budgetPercent
        self.minPerSecond = minPerSecond
        self.perTryTimeout = perTryTimeout
    }

    /// The statuses of ``on``, parsed.
    public var statusSet: StatusCodeSet { StatusCodeSet(specs: on) }

    static let allowedKeys: Set<String> = ["attempts", "on", "budget_percent", "min_per_second", "per_try_timeout"]

    enum CodingKeys: String, CodingKey {
        case attempts, on
        case budgetPercent = "budget_percent"
        case minPerSecond = "min_per_second"
        case perTryTimeout = "per_try_timeout"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            attempts: try container.decode(Int.self, forKey: .attempts),
            on: try container.decodeIfPresent([String].self, forKey: .on) ?? [],
            budgetPercent: try container.decode(Int.self, forKey: .budgetPercent),
            minPerSecond: try container.decode(Int.self, forKey: .minPerSecond),
            perTryTimeout: try container.decodeIfPresent(Double.self, forKey: .perTryTimeout))
    }

    /// Reads a `retry:` block over the defaults, reporting each bad key.
    static func read(_ reader: ObjectReader) -> RetryPolicy {
        var policy = defaults
        if let attempts = reader.integer("attempts", in: 0...5) { policy.attempts = attempts }
        let context = reader.validationContext
        if let on = reader.list("on", { node, field in BreakerPolicy.readStatus(node, field, context) }) {
            policy.on = on
        }
        if let percent = reader.integer("budget_percent", in: 0...100) { policy.budgetPercent = percent }
        if let minimum = reader.integer("min_per_second", in: 0...10_000) { policy.minPerSecond = minimum }
        policy.perTryTimeout = reader.positiveNumber("per_try_timeout", atMost: 300)
        return policy
    }
}
