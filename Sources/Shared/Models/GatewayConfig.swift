/// The whole `config/config.yaml` document, validated.
public struct GatewayConfig: Sendable, Equatable {
    public var endpoints: [EndpointConfig]
    public var circuitBreaker: BreakerPolicy
    public var healthCheck: HealthCheckPolicy
    /// Every replica's client-connection limits and timeouts (the `proxy:` section).
    public var proxy: ProxyLimits
    /// The TLS listener's certificates (the `tls:` section), if the file has one.
    public var tls: TLSSettings?
    /// The file's log level, lower-cased (`debug`, `info`, ...), if it sets one.
    public var logLevel: String?

    public init(
        endpoints: [EndpointConfig] = [],
        circuitBreaker: BreakerPolicy = .defaults,
        healthCheck: HealthCheckPolicy = .defaults,
        proxy: ProxyLimits = .defaults,
        tls: TLSSettings? = nil,
        logLevel: String? = nil
    ) {
        self.endpoints = endpoints
        self.circuitBreaker = circuitBreaker
        self.healthCheck = healthCheck
        self.proxy = proxy
        self.tls = tls
        self.logLevel = logLevel
    }

    static let allowedKeys: Set<String> = [
        "endpoints", "circuit_breaker", "health_check", "proxy", "tls", "log_level",
    ]
    public static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    /// Parses and validates a YAML document. An empty document is the empty configuration.
    ///
    /// - Throws: ``ValidationError`` listing every problem with its field and line.
    public static func parse(yaml text: String) throws(ValidationError) -> GatewayConfig {
        guard let root = try ConfigNode.parseYAML(text) else { return GatewayConfig() }
        return try validate(root)
    }

    /// Validates a parsed document.
    public static func validate(_ root: ConfigNode) throws(ValidationError) -> GatewayConfig {
        let context = ValidationContext()
        guard let reader = ObjectReader(root, path: "", allowedKeys: allowedKeys, context: context) else {
            throw ValidationError(context.issues)
        }
        var config = GatewayConfig()
        if let block = reader.object("circuit_breaker", allowedKeys: BreakerPolicy.allowedKeys) {
            config.circuitBreaker = BreakerPolicyOverride.read(block).applied(to: .defaults)
        }
        if let block = reader.object("health_check", allowedKeys: HealthCheckPolicy.allowedKeys) {
            config.healthCheck = HealthCheckPolicyOverride.read(block).applied(to: .defaults)
        }
        if let block = reader.object("proxy", allowedKeys: ProxyLimits.allowedKeys) {
            config.proxy = ProxyLimits.read(block)
        }
        if let block = reader.object("tls", allowedKeys: TLSSettings.allowedKeys) {
            config.tls = TLSSettings.read(block)
        }
        if let level = reader.string("log_level") {
            if logLevels.contains(level.lowercased()) {
                config.logLevel = level.lowercased()
            } else {
                reader.fail("log_level", "must be one of \(logLevels.joined(separator: ", "))")
            }
        }
        if let endpointsNode = reader.node("endpoints") {
            guard case .array(let items) = endpointsNode.value else {
                reader.fail("endpoints", "must be a list, not \(endpointsNode.value.typeName)")
                throw ValidationError(context.issues)
            }
            config.endpoints = EndpointConfig.readList(items, path: "endpoints", context: context)
        } else if reader.has("endpoints") == false, case .object(let members) = root.value,
            let explicit = members.first(where: { $0.key == "endpoints" }), explicit.value.value == .null
        {
            reader.fail("endpoints", "must be a list (write [] for none)")
        }
        try context.check()
        return config
    }
}

extension EndpointConfig {
    /// Reads the endpoints of a list at `path` (`endpoints`, `upsert`), reporting bad entries,
    /// duplicate names and URLs given twice against `path[index]`.
    package static func readList(_ items: [ConfigNode], path: String, context: ValidationContext) -> [EndpointConfig] {
        var endpoints: [EndpointConfig] = []
        var names: [String: Int] = [:]
        var urls: [String: String] = [:]
        for (index, item) in items.enumerated() {
            guard
                let entry = ObjectReader(
                    item, path: "\(path)[\(index)]", allowedKeys: EndpointConfig.allowedKeys, context: context),
                let endpoint = EndpointConfig.read(entry)
            else { continue }
            if let first = names[endpoint.name] {
                entry.fail("name", "duplicate name '\(endpoint.name)' (first used by \(path)[\(first)])")
                continue
            }
            if let owner = urls[endpoint.url] {
                entry.fail("url", "URL '\(endpoint.url)' already used by endpoint '\(owner)'")
                continue
            }
            names[endpoint.name] = index
            urls[endpoint.url] = endpoint.name
            endpoints.append(endpoint)
        }
        return endpoints
    }

    /// Validates an endpoint sent to the admin API, either bare or wrapped as `{"config": {...}}`.
    ///
    /// - Throws: ``ValidationError`` naming every bad field.
    public static func validate(_ node: ConfigNode) throws(ValidationError) -> EndpointConfig {
        var node = node
        if case .object(let members) = node.value, members.count == 1, members[0].key == "config" {
            node = members[0].value
        }
        let context = ValidationContext()
        guard let reader = ObjectReader(node, path: "", allowedKeys: allowedKeys, context: context),
            let endpoint = read(reader)
        else {
            throw ValidationError(context.issues)
        }
        try context.check()
        return endpoint
    }
}
