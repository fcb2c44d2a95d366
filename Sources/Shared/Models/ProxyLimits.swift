/// Per-replica limits and timeouts of client connections: the config file's `proxy:` section.
public struct ProxyLimits: Sendable, Equatable, Codable {
    /// Seconds to receive a complete request head.
    public var headerTimeout: Double
    /// Longest gap, in seconds, between two reads of a request body.
    public var bodyTimeout: Double
    /// Seconds an idle keep-alive connection stays open.
    public var idleTimeout: Double
    /// Seconds a client may stop reading a response.
    public var sendTimeout: Double
    /// Client connections per replica.
    public var maxConnections: Int
    public var maxURIBytes: Int
    public var maxHeaderBytes: Int
    public var maxHeaders: Int
    /// Requests queued behind the one in progress on one connection.
    public var maxPipelined: Int

    public static let defaults = ProxyLimits()

    public init(
        headerTimeout: Double = 30, bodyTimeout: Double = 60, idleTimeout: Double = 75, sendTimeout: Double = 60,
        maxConnections: Int = 16384, maxURIBytes: Int = 8192, maxHeaderBytes: Int = 32768, maxHeaders: Int = 100,
        maxPipelined: Int = 16
    ) {
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.idleTimeout = idleTimeout
        self.sendTimeout = sendTimeout
        self.maxConnections = maxConnections
        self.maxURIBytes = maxURIBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaders = maxHeaders
        self.maxPipelined = maxPipelined
    }

    enum CodingKeys: String, CodingKey {
        case headerTimeout = "header_timeout"
        case bodyTimeout = "body_timeout"
        case idleTimeout = "idle_timeout"
        case sendTimeout = "send_timeout"
        case maxConnections = "max_connections"
        case maxURIBytes = "max_uri_bytes"
        case maxHeaderBytes = "max_header_bytes"
        case maxHeaders = "max_headers"
        case maxPipelined = "max_pipelined"
    }
}
