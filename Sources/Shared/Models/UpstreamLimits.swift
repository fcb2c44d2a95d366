/// How many connections each replica opens to each upstream of an endpoint, and how many
/// requests may wait for one (`upstream_limits:`, Envoy's circuit-breaking thresholds). Beyond
/// them a request gets 503 `Upstream overloaded` at once (or another upstream of the pool).
public struct UpstreamLimits: Sendable, Equatable, Hashable, Codable {
    /// Connections open (in use or idle) to one upstream, per replica.
    public var maxConnections: Int
    /// Requests waiting for a connection to one upstream, per replica; each waits at most the
    /// endpoint's `timeout`.
    public var maxPending: Int

    public static let defaults = UpstreamLimits(maxConnections: 1024, maxPending: 1024)

    public init(maxConnections: Int, maxPending: Int) {
        self.maxConnections = maxConnections
        self.maxPending = maxPending
    }

    static let allowedKeys: Set<String> = ["max_connections", "max_pending"]

    enum CodingKeys: String, CodingKey {
        case maxConnections = "max_connections"
        case maxPending = "max_pending"
    }

    /// Reads an `upstream_limits:` block over the defaults, reporting each bad key.
    static func read(_ reader: ObjectReader) -> UpstreamLimits {
        var limits = defaults
        if let value = reader.integer("max_connections", in: 1...100_000) { limits.maxConnections = value }
        if let value = reader.integer("max_pending", in: 0...100_000) { limits.maxPending = value }
        return limits
    }
}
