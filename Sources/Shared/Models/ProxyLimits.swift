/// Per-replica limits and timeouts of client connections: the config file's `proxy:` section.
public struct ProxyLimits: Sendable, Equatable, Codable {
    /// Seconds a connection has to send a complete request head.
    public var headerTimeout: Double
    /// Longest gap, in seconds, between two reads of a request body.
    public var bodyTimeout: Double
    /// Seconds an idle keep-alive connection stays open.
    public var idleTimeout: Double
    /// Seconds a client may stop reading a response before it is disconnected.
    public var sendTimeout: Double
    /// Client connections one replica accepts at a time.
    public var maxConnections: Int
    /// Longest request target, in bytes.
    public var maxURIBytes: Int
    /// Largest request head (request line and header fields), in bytes.
    public var maxHeaderBytes: Int
    /// Most header fields in one request.
    public var maxHeaders: Int
    /// Most requests read ahead of the one in progress on a connection.
    public var maxPipelined: Int

    public static let defaults = ProxyLimits()

    public init(
        headerTimeout: Double = 30,
        bodyTimeout: Double = 60,
        idleTimeout: Double = 75,
        sendTimeout: Double = 60,
        maxConnections: Int = 16384,
        maxURIBytes: Int = 8192,
        maxHeaderBytes: Int = 32768,
        maxHeaders: Int = 100,
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

    enum CodingKeys: String, CodingKey, CaseIterable {
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

    static let allowedKeys = Set(CodingKeys.allCases.map(\.rawValue))

    /// The longest timeout accepted: one day.
    static let maximumTimeout: Double = 86_400

    /// Reads a `proxy:` section (a config file's or a snapshot's): every key optional, each bad
    /// key reported against its field; absent or bad keys keep their defaults.
    static func read(_ reader: ObjectReader) -> ProxyLimits {
        var limits = ProxyLimits.defaults
        func timeout(_ key: CodingKeys, _ value: inout Double) {
            if let seconds = reader.positiveNumber(key.rawValue, atMost: maximumTimeout) { value = seconds }
        }
        func integer(_ key: CodingKeys, _ range: ClosedRange<Int>, _ value: inout Int) {
            if let number = reader.integer(key.rawValue, in: range) { value = number }
        }
        timeout(.headerTimeout, &limits.headerTimeout)
        timeout(.bodyTimeout, &limits.bodyTimeout)
        timeout(.idleTimeout, &limits.idleTimeout)
        timeout(.sendTimeout, &limits.sendTimeout)
        integer(.maxConnections, 1...1_000_000, &limits.maxConnections)
        integer(.maxURIBytes, 256...1_048_576, &limits.maxURIBytes)
        integer(.maxHeaderBytes, 1024...1_048_576, &limits.maxHeaderBytes)
        integer(.maxHeaders, 1...10_000, &limits.maxHeaders)
        integer(.maxPipelined, 1...1024, &limits.maxPipelined)
        return limits
    }
}
