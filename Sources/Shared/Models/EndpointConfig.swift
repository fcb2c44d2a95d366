/// One route to an upstream service, as written in `config.yaml` or sent to the admin API.
/// `name` is the endpoint's stable id.
public struct EndpointConfig: Sendable, Equatable, Codable {
    public var name: String
    /// The normalised base URL text: the endpoint's `url`, or its first upstream's when it has a
    /// pool (``upstreams``).
    public var url: String
    public var version: String?
    public var methods: [String]
    public var authType: String
    public var disabled: Bool
    /// Path probed by health checks, relative to the endpoint's base path.
    public var healthCheckPath: String?
    /// Seconds the upstream has to answer before the client gets 504.
    public var timeout: Int
    public var circuitBreaker: BreakerPolicyOverride?
    public var healthCheck: HealthCheckPolicyOverride?
    /// The upstream pool, given instead of `url`; `nil` for an endpoint with one `url`.
    public var upstreams: [UpstreamConfig]?
    /// How requests spread over ``upstreams``; `nil` means round robin.
    public var loadBalancing: LoadBalancing?
    /// When requests are sent again; `nil` means ``RetryPolicy/defaults``.
    public var retry: RetryPolicy?
    public var rateLimit: RateLimitPolicy?
    /// Connections and waiting requests per upstream and replica; `nil` means
    /// ``UpstreamLimits/defaults``.
    public var upstreamLimits: UpstreamLimits?
    /// Seconds a WebSocket (or other upgraded) tunnel may carry no byte either way before it is
    /// closed; `nil` means ``defaultTunnelIdleTimeout``.
    public var tunnelIdleTimeout: Int?
    /// Seconds over which an upstream of the pool that comes back into the rotation ramps from a
    /// tenth of its weight to all of it; `nil` or 0: at once.
    public var slowStart: Double?

    public static let defaultTunnelIdleTimeout = 300

    public init(
        name: String,
        url: String,
        version: String? = nil,
        methods: [String] = ["GET"],
        authType: String = "none",
        disabled: Bool = false,
        healthCheckPath: String? = nil,
        timeout: Int = 30,
        circuitBreaker: BreakerPolicyOverride? = nil,
        healthCheck: HealthCheckPolicyOverride? = nil,
        upstreams: [UpstreamConfig]? = nil,
        loadBalancing: LoadBalancing? = nil,
        retry: RetryPolicy? = nil,
        rateLimit: RateLimitPolicy? = nil,
        upstreamLimits: UpstreamLimits? = nil,
        tunnelIdleTimeout: Int? = nil,
        slowStart: Double? = nil
    ) {
        self.name = name
        self.url = url
        self.version = version
        self.methods = methods
        self.authType = authType
        self.disabled = disabled
        self.healthCheckPath = healthCheckPath
        self.timeout = timeout
        self.circuitBreaker = circuitBreaker
        self.healthCheck = healthCheck
        self.upstreams = upstreams
        self.loadBalancing = loadBalancing
        self.retry = retry
        self.rateLimit = rateLimit
        self.upstreamLimits = upstreamLimits
        self.tunnelIdleTimeout = tunnelIdleTimeout
        self.slowStart = slowStart
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, url, version, methods
        case authType = "auth_type"
        case disabled
        case healthCheckPath = "health_check_path"
        case timeout
        case circuitBreaker = "circuit_breaker"
        case healthCheck = "health_check"
        case upstreams
        case loadBalancing = "load_balancing"
        case retry
        case rateLimit = "rate_limit"
        case upstreamLimits = "upstream_limits"
        case tunnelIdleTimeout = "tunnel_idle_timeout"
        case slowStart = "slow_start"
    }

    /// Every key an endpoint may carry; anything else is an error.
    public static let allowedKeys = Set(CodingKeys.allCases.map(\.rawValue))
    public static let allowedMethods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
    public static let authTypes = ["none", "bearer", "api_key", "basic", "oauth2"]

    /// The parsed base URL; valid for every validated config.
    public var endpointURL: EndpointURL? { try? EndpointURL.parse(url).get() }

    /// Every upstream with its weight: the pool, or the one `url` with weight 1.
    public var upstreamPool: [UpstreamConfig] { upstreams ?? [UpstreamConfig(url: url)] }

    /// The retry policy in force.
    public var retryPolicy: RetryPolicy { retry ?? .defaults }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let upstreams = try container.decodeIfPresent([UpstreamConfig].self, forKey: .upstreams)
        guard let url = try container.decodeIfPresent(String.self, forKey: .url) ?? upstreams?.first?.url else {
            throw DecodingError.keyNotFound(
                CodingKeys.url, .init(codingPath: decoder.codingPath, debugDescription: "neither url nor upstreams"))
        }
        self.init(
            name: try container.decode(String.self, forKey: .name),
            url: url,
            version: try container.decodeIfPresent(String.self, forKey: .version),
            methods: try container.decode([String].self, forKey: .methods),
            authType: try container.decode(String.self, forKey: .authType),
            disabled: try container.decode(Bool.self, forKey: .disabled),
            healthCheckPath: try container.decodeIfPresent(String.self, forKey: .healthCheckPath),
            timeout: try container.decode(Int.self, forKey: .timeout),
            circuitBreaker: try container.decodeIfPresent(BreakerPolicyOverride.self, forKey: .circuitBreaker),
            healthCheck: try container.decodeIfPresent(HealthCheckPolicyOverride.self, forKey: .healthCheck),
            upstreams: upstreams,
            loadBalancing: try container.decodeIfPresent(LoadBalancing.self, forKey: .loadBalancing),
            retry: try container.decodeIfPresent(RetryPolicy.self, forKey: .retry),
            rateLimit: try container.decodeIfPresent(RateLimitPolicy.self, forKey: .rateLimit),
            upstreamLimits: try container.decodeIfPresent(UpstreamLimits.self, forKey: .upstreamLimits),
            tunnelIdleTimeout: try container.decodeIfPresent(Int.self, forKey: .tunnelIdleTimeout),
            slowStart: try container.decodeIfPresent(Double.self, forKey: .slowStart))
    }

    /// An endpoint with a pool writes `upstreams` instead of `url`; the sections added with pools
    /// are written only when set, so the encoding (and checksum) of an endpoint without them is
    /// what it was before them.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        if let upstreams {
            try container.encode(upstreams, forKey: .upstreams)
        } else {
            try container.encode(url, forKey: .url)
        }
        try container.encode(version, forKey: .version)
        try container.encode(methods, forKey: .methods)
        try container.encode(authType, forKey: .authType)
        try container.encode(disabled, forKey: .disabled)
        try container.encode(healthCheckPath, forKey: .healthCheckPath)
        try container.encode(timeout, forKey: .timeout)
        try container.encodeIfPresent(circuitBreaker, forKey: .circuitBreaker)
        try container.encodeIfPresent(healthCheck, forKey: .healthCheck)
        try container.encodeIfPresent(loadBalancing, forKey: .loadBalancing)
        try container.encodeIfPresent(retry, forKey: .retry)
        try container.encodeIfPresent(rateLimit, forKey: .rateLimit)
        try container.encodeIfPresent(upstreamLimits, forKey: .upstreamLimits)
        try container.encodeIfPresent(tunnelIdleTimeout, forKey: .tunnelIdleTimeout)
        try container.encodeIfPresent(slowStart, forKey: .slowStart)
    }
}

extension EndpointConfig {
    /// Reads and validates one endpoint. Reports every problem to the reader's context and
    /// returns `nil` when there was any.
    static func read(_ reader: ObjectReader) -> EndpointConfig? {
        let before = reader.validationContext.issues.count
        let name = reader.string("name")
        if let name {
            if name.isEmpty || name.count > 128
                || !name.unicodeScalars.allSatisfy({ $0.isASCIIAlphanumeric || $0 == "_" || $0 == "-" })
            {
                reader.fail("name", "must be 1-128 characters of letters, digits, '_' or '-'")
            }
        } else if !reader.has("name") {
            reader.requireMissing("name")
        }

        var url: String?
        let upstreams = readUpstreams(reader)
        if reader.has("url") && reader.has("upstreams") {
            reader.fail("upstreams", "give either url or upstreams, not both")
        } else if let text = reader.string("url") {
            switch EndpointURL.parse(text) {
            case .success(let parsed): url = parsed.description
            case .failure(let error): reader.fail("url", error.description)
            }
        } else if let first = upstreams?.first {
            url = first.url
        } else if !reader.has("url") && !reader.has("upstreams") {
            reader.requireMissing("url")
        }

        let version = reader.string("version")
        if let version, !Self.isValidVersion(version) {
            reader.fail("version", "must look like v1, 1, 1.2 or v2.0.1")
        }

        var methods = ["GET"]
        if let list = reader.list(
            "methods",
            { node, _ in
                if case .string(let text) = node.value { return text } else { return "" }
            })
        {
            methods = list
            if list.isEmpty { reader.fail("methods", "must list at least one method") }
            if let bad = list.first(where: { !allowedMethods.contains($0) }) {
                reader.fail("methods", "'\(bad)' is not one of \(allowedMethods.joined(separator: ", "))")
            }
            if Set(list).count != list.count { reader.fail("methods", "must not repeat a method") }
        }

        let authType = reader.string("auth_type") ?? "none"
        if !authTypes.contains(authType) {
            reader.fail("auth_type", "must be one of \(authTypes.joined(separator: ", "))")
        }

        let healthCheckPath = reader.string("health_check_path")
        if let path = healthCheckPath, let problem = Self.healthPathProblem(path) {
            reader.fail("health_check_path", problem)
        }

        let config = EndpointConfig(
            name: name ?? "",
            url: url ?? "",
            version: version,
            methods: methods,
            authType: authType,
            disabled: reader.bool("disabled") ?? false,
            healthCheckPath: healthCheckPath,
            timeout: reader.integer("timeout", in: 1...300) ?? 30,
            circuitBreaker: reader.object("circuit_breaker", allowedKeys: BreakerPolicy.allowedKeys)
                .map(BreakerPolicyOverride.read),
            healthCheck: reader.object("health_check", allowedKeys: HealthCheckPolicy.allowedKeys)
                .map(HealthCheckPolicyOverride.read),
            upstreams: upstreams,
            loadBalancing: reader.enumeration("load_balancing", LoadBalancing.self),
            retry: reader.object("retry", allowedKeys: RetryPolicy.allowedKeys).map(RetryPolicy.read),
            rateLimit: reader.object("rate_limit", allowedKeys: RateLimitPolicy.allowedKeys).flatMap(
                RateLimitPolicy.read),
            upstreamLimits: reader.object("upstream_limits", allowedKeys: UpstreamLimits.allowedKeys).map(
                UpstreamLimits.read),
            tunnelIdleTimeout: reader.integer("tunnel_idle_timeout", in: 1...86_400),
            slowStart: reader.number("slow_start", in: 0...3600)
        )
        return reader.validationContext.issues.count == before ? config : nil
    }

    /// The `upstreams:` list: 1 to ``UpstreamConfig/maximumCount`` entries, no URL twice.
    static func readUpstreams(_ reader: ObjectReader) -> [UpstreamConfig]? {
        let context = reader.validationContext
        guard let list = reader.list("upstreams", { UpstreamConfig.read($0, path: $1, context: context) }) else {
            return nil
        }
        if list.isEmpty {
            reader.fail("upstreams", "must list at least one upstream")
            return nil
        }
        if list.count > UpstreamConfig.maximumCount {
            reader.fail("upstreams", "must list at most \(UpstreamConfig.maximumCount) upstreams")
            return nil
        }
        var seen = Set<String>()
        if let repeated = list.first(where: { !seen.insert($0.url).inserted }) {
            reader.fail("upstreams", "lists '\(repeated.url)' twice")
            return nil
        }
        return list
    }

    /// `^v?\d+(\.\d+)*$`, without the original's trailing-newline leniency.
    static func isValidVersion(_ text: String) -> Bool {
        var rest = Substring(text)
        if rest.hasPrefix("v") { rest = rest.dropFirst() }
        let parts = rest.split(separator: ".", omittingEmptySubsequences: false)
        return !parts.isEmpty && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }
    }

    /// A health-check path is a path relative to the endpoint: no scheme, host, `..` or `.`.
    static func healthPathProblem(_ path: String) -> String? {
        if path.contains("://") || path.hasPrefix("//") {
            return "must be a path relative to the endpoint, not a URL"
        }
        if !path.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) {
            return "must not contain spaces or non-ASCII characters"
        }
        let pathPart = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        if pathPart.split(separator: "/").contains(where: { PathSegment.isDotSegment($0) }) {
            return "must not contain '.' or '..' segments"
        }
        return nil
    }
}

extension Unicode.Scalar {
    var isASCIIAlphanumeric: Bool {
        ("a"..."z").contains(self) || ("A"..."Z").contains(self) || ("0"..."9").contains(self)
    }
}
