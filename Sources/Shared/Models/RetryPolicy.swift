/// When a replica sends a request again (`retry:`). A refused connection (nothing was sent) is
/// retried for any method, on another upstream of the pool when there is one, within the
/// endpoint's retry budget.
public struct RetryPolicy: Sendable, Equatable, Hashable, Codable {
    /// Retries after the first try (0 turns retrying off, connect failures included).
    public var attempts: Int
    /// Retries in flight may be at most this share (percent) of the endpoint's requests in flight...
    public var budgetPercent: Int
    /// ... or, when that allows fewer, this many retries per second.
    public var minPerSecond: Int

    /// What an endpoint without a `retry:` block does: one retry of a connect failure.
    public static let defaults = RetryPolicy(attempts: 1, budgetPercent: 20, minPerSecond: 3)

    public init(attempts: Int, budgetPercent: Int = 20, minPerSecond: Int = 3) {
        self.attempts = attempts
        self.budgetPercent = budgetPercent
        self.minPerSecond = minPerSecond
    }

    static let allowedKeys: Set<String> = ["attempts", "budget_percent", "min_per_second"]

    enum CodingKeys: String, CodingKey {
        case attempts
        case budgetPercent = "budget_percent"
        case minPerSecond = "min_per_second"
    }

    /// Reads a `retry:` block over the defaults, reporting each bad key.
    static func read(_ reader: ObjectReader) -> RetryPolicy {
        var policy = defaults
        if let attempts = reader.integer("attempts", in: 0...5) { policy.attempts = attempts }
        if let percent = reader.integer("budget_percent", in: 0...100) { policy.budgetPercent = percent }
        if let minimum = reader.integer("min_per_second", in: 0...10_000) { policy.minPerSecond = minimum }
        return policy
    }
}
