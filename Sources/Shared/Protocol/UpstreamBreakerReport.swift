/// The breaker of one upstream of a pool in one replica, and the tries it saw, as replicas
/// report it inside their endpoint's ``BreakerReport``.
public struct UpstreamBreakerReport: Sendable, Equatable, Codable {
    public var url: String
    /// `closed`, `open` or `half_open`.
    public var state: String
    /// Consecutive failed tries counted so far.
    public var failureCount: Int
    public var lastFailureTime: String?
    public var stateChangedTime: String
    /// Tries the breaker refused (the request went to another upstream) since the replica started.
    public var rejected: Int
    /// State changes since the replica started.
    public var transitions: Int
    /// Tries in flight now.
    public var inFlight: Int
    /// Tries sent to this upstream since the replica started, and how many of them failed.
    public var requests: Int
    public var errors: Int

    public init(
        url: String, state: String, failureCount: Int, lastFailureTime: String?, stateChangedTime: String,
        rejected: Int, transitions: Int, inFlight: Int, requests: Int, errors: Int
    ) {
        self.url = url
        self.state = state
        self.failureCount = failureCount
        self.lastFailureTime = lastFailureTime
        self.stateChangedTime = stateChangedTime
        self.rejected = rejected
        self.transitions = transitions
        self.inFlight = inFlight
        self.requests = requests
        self.errors = errors
    }

    enum CodingKeys: String, CodingKey {
        case url, state
        case failureCount = "failure_count"
        case lastFailureTime = "last_failure_time"
        case stateChangedTime = "state_changed_time"
        case rejected, transitions
        case inFlight = "in_flight"
        case requests, errors
    }
}

extension UpstreamBreakerReport: NodeDecodable {
    package init(node value: ConfigValue, path: NodePath) throws {
        let object = try NodeObject(value, path: path)
        self.init(
            url: try object.string(CodingKeys.url.rawValue),
            state: try object.string(CodingKeys.state.rawValue),
            failureCount: try object.int(CodingKeys.failureCount.rawValue),
            lastFailureTime: try object.optionalString(CodingKeys.lastFailureTime.rawValue),
            stateChangedTime: try object.string(CodingKeys.stateChangedTime.rawValue),
            rejected: try object.int(CodingKeys.rejected.rawValue),
            transitions: try object.int(CodingKeys.transitions.rawValue),
            inFlight: try object.int(CodingKeys.inFlight.rawValue),
            requests: try object.int(CodingKeys.requests.rawValue),
            errors: try object.int(CodingKeys.errors.rawValue))
    }
}
