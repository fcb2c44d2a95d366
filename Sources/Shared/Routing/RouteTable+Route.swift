extension RouteTable {
    /// One routable endpoint with its parsed base URL. A class, immutable: an update copies the
    /// table's entries, one reference each.
    ///
    /// What a request reads of its endpoint (name, allowed methods, whether it takes traffic,
    /// timeout, breaker policy) is copied here, ahead of the rest: with 10,000 endpoints, each
    /// object a request reaches is a cache miss, and the endpoint's own storage and its method
    /// list would be two more.
    public final class Route: Sendable {
        /// The endpoint's name.
        public let name: String
        /// The route's index in ``RouteTable/slots``: an index that per-endpoint state can be kept
        /// in an array by, instead of a dictionary keyed by name. Stable across updates while the
        /// endpoint stays; a freed slot may go to another endpoint, so users check the name.
        public let slot: Int
        /// The endpoint's common methods that it allows, one bit each (``methodBit(_:)``).
        private let methodBits: UInt16
        /// The endpoint is enabled, active and not unhealthy.
        public let takesTraffic: Bool
        /// Seconds the upstream has to deliver the response head.
        public let timeoutSeconds: Int
        /// The endpoint's breaker policy's failure statuses, parsed once per snapshot.
        public let failureStatuses: StatusCodeSet
        public let circuitBreaker: BreakerPolicy
        public let url: EndpointURL
        public let endpoint: SnapshotEndpoint

        public init(endpoint: SnapshotEndpoint, url: EndpointURL, slot: Int = 0) {
            let config = endpoint.config
            self.name = endpoint.name
            self.slot = slot
            self.methodBits = config.methods.reduce(0) { $0 | (Self.methodBit($1) ?? 0) }
            self.takesTraffic =
                !config.disabled && endpoint.status == .active && endpoint.health != .unhealthy
            self.timeoutSeconds = config.timeout
            self.failureStatuses = endpoint.circuitBreaker.failureStatusSet
            self.circuitBreaker = endpoint.circuitBreaker
            self.url = url
            self.endpoint = endpoint
        }

        /// Whether the endpoint allows requests with `method` (as its `methods` list spells it).
        public func allows(method: String) -> Bool {
            if let bit = Self.methodBit(method) { return methodBits & bit != 0 }
            return endpoint.config.methods.contains(method)
        }

        /// The bit of a common method; `nil` for others, which are looked up in the list.
        private static func methodBit(_ method: String) -> UInt16? {
            switch method {
            case "GET": 1 << 0
            case "HEAD": 1 << 1
            case "POST": 1 << 2
            case "PUT": 1 << 3
            case "DELETE": 1 << 4
            case "PATCH": 1 << 5
            case "OPTIONS": 1 << 6
            default: nil
            }
        }
    }
}
