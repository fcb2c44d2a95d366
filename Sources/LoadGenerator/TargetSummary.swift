/// What happened to the requests sent to one target.
public struct TargetSummary: Sendable, Codable, Equatable {
    public var sent = 0
    /// Responses by status code.
    public var statuses: [Int: Int] = [:]
    /// Responses that said `Connection: close` (a draining server answers one per connection).
    public var closeResponses = 0
    public var connectErrors = 0
    public var resets = 0
    public var timeouts = 0
    public var otherErrors = 0
    /// Up to a few error descriptions, to say what went wrong.
    public var sampleErrors: [String] = []
    /// Latency of completed responses in seconds (50th, 99th percentile and maximum).
    public var p50Seconds = 0.0
    public var p99Seconds = 0.0
    public var maxSeconds = 0.0

    public init() {}

    /// Responses with a 2xx status.
    public var succeeded: Int { statuses.filter { (200..<300).contains($0.key) }.values.reduce(0, +) }

    /// Requests that ended in an error or a non-2xx status.
    public var failed: Int { sent - succeeded }

    /// Non-2xx responses.
    public var non2xx: Int { statuses.filter { !(200..<300).contains($0.key) }.values.reduce(0, +) }
}
