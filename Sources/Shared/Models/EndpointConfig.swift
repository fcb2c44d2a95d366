/// One route to an upstream service, as written in `config.yaml` or sent to the admin API.
/// `name` is the endpoint's stable id.
public struct EndpointConfig: Sendable, Equatable, Codable {
    public var name: String
    /// The normalised base URL text.
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
        healthCheck: HealthCheckPolicyOverride? = nil
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
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, url, version, methods
        case authType = "auth_type"
        case disabled
        case healthCheckPath = "health_check_path"
        case timeout
        case circuitBreaker = "circuit_breaker"
        case healthCheck = "health_check"
    }

    /// Every key an endpoint may carry; anything else is an error.
    public static let allowedKeys = Set(CodingKeys.allCases.map(\.rawValue))
    public static let allowedMethods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
    public static let authTypes = ["none", "bearer", "api_key", "basic", "oauth2"]

    /// The parsed base URL; valid for every validated config.
    public var endpointURL: EndpointURL? { try? EndpointURL.parse(url).get() }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(url, forKey: .url)
        try container.encode(version, forKey: .version)
        try container.encode(methods, forKey: .methods)
        try container.encode(authType, forKey: .authType)
        try container.encode(disabled, forKey: .disabled)
        try container.encode(healthCheckPath, forKey: .healthCheckPath)
        try container.encode(timeout, forKey: .timeout)
        try container.encodeIfPresent(circuitBreaker, forKey: .circuitBreaker)
        try container.encodeIfPresent(healthCheck, forKey: .healthCheck)
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
        if let text = reader.string("url") {
            switch EndpointURL.parse(text) {
            case .success(let parsed): url = parsed.description
            case .failure(let error): reader.fail("url", error.description)
            }
        } else if !reader.has("url") {
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
                .map(HealthCheckPolicyOverride.read)
        )
        return reader.validationContext.issues.count == before ? config : nil
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
