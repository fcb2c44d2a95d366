import AdminAPI
import ArgumentParser
import Foundation
import NIOHTTP1
import Shared

/// `orchctl endpoint ...`: the endpoints the gateway routes to.
struct EndpointCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "endpoint",
        abstract: "Add, list, inspect, change and remove endpoints.",
        discussion:
            "Endpoints defined in the config file belong to the file: writes to them are refused with the"
            + " file's name (edit the file instead; the control plane watches it).",
        subcommands: [
            ListEndpoints.self, GetEndpoint.self, AddEndpoint.self, UpdateEndpoint.self, RemoveEndpoint.self,
            EnableEndpoint.self, DisableEndpoint.self, ExportEndpoints.self, ImportEndpoints.self,
        ]
    )
}

/// What `endpoint list` and `get` tell a reader to do after a 404.
let endpointListHint = "'orchctl endpoint list' shows the endpoints there are"

extension EndpointCommand {
    struct ListEndpoints: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List endpoints.")

        @OptionGroup var global: GlobalOptions

        @Option(help: "Only endpoints with this runtime status (active, inactive, disabled, unhealthy).")
        var status: String?

        @Option(help: "At most this many endpoints (1-1000).")
        var limit: Int = 1000

        func validate() throws {
            guard (1...1000).contains(limit) else {
                throw ArgumentParser.ValidationError("--limit must be between 1 and 1000")
            }
            let statuses = ["active", "inactive", "disabled", "unhealthy"]
            if let status, !statuses.contains(status) {
                throw ArgumentParser.ValidationError("--status must be one of \(statuses.joined(separator: ", "))")
            }
        }

        func run() async throws {
            var query = "?limit=\(limit)"
            if let status { query += "&status=\(PathComponent.encode(status))" }
            let fetched = try await AdminClient.with(global) { client in
                try await client.fetch(EndpointList.self, "/registry/endpoints" + query, action: "list endpoints")
            }
            Printer(global).show(fetched.raw) { EndpointRendering.list(fetched.value, $0) }
        }
    }

    struct GetEndpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "get", abstract: "Show one endpoint.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The endpoint's name.")
        var name: String

        func run() async throws {
            let fetched = try await AdminClient.with(global) { client in
                try await client.fetch(
                    EndpointDetails.self, "/registry/endpoints/\(PathComponent.encode(name))",
                    action: "get endpoint '\(name)'", notFoundHint: endpointListHint)
            }
            Printer(global).show(fetched.raw) { EndpointRendering.details(fetched.value, $0) }
        }
    }

    struct AddEndpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Add an endpoint (owned by the admin API).",
            discussion:
                "Adding the same name with the same URL again updates it; the same name with another URL is"
                + " refused (use 'orchctl endpoint update NAME --url URL').")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The endpoint's name: letters, digits, '_' or '-'.")
        var name: String

        @Option(help: "The upstream base URL (http or https); or give --upstream for a pool.")
        var url: String?

        @OptionGroup var fields: EndpointFields

        @Flag(help: "Add it disabled (requests get 503 until it is enabled).")
        var disabled = false

        func validate() throws {
            if (url == nil) == fields.upstreams.isEmpty {
                throw ArgumentParser.ValidationError("give either --url or one or more --upstream")
            }
            if fields.rateLimit == nil && (fields.burst != nil || fields.rateLimitKey != nil) {
                throw ArgumentParser.ValidationError("--burst and --rate-limit-key need --rate-limit")
            }
        }

        func run() async throws {
            var config = EndpointConfig(name: name, url: url ?? "", disabled: disabled)
            fields.apply(to: &config)
            let url = config.url
            let body = try EndpointBody.encode(config)
            let fetched = try await AdminClient.with(global) { client in
                try await client.fetch(
                    EndpointRegistered.self, .POST, "/registry/endpoints", body: body,
                    action: "add endpoint '\(name)'")
            }
            Printer(global).show(fetched.raw) { _ in fetched.value.message + ": \(name) -> \(url)" }
        }
    }

    struct RemoveEndpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove an endpoint.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The endpoint's name.")
        var name: String

        func run() async throws {
            let fetched = try await AdminClient.with(global) { client in
                try await client.fetch(
                    EndpointRemoved.self, .DELETE, "/registry/endpoints/\(PathComponent.encode(name))",
                    action: "remove endpoint '\(name)'", notFoundHint: endpointListHint)
            }
            Printer(global).show(fetched.raw) { _ in fetched.value.message }
        }
    }
}

/// Field options shared by `endpoint add` and `endpoint update`.
struct EndpointFields: ParsableArguments {
    @Option(name: .customLong("method"), help: "An HTTP method the endpoint accepts; repeat for several (default GET).")
    var methods: [String] = []

    @Option(help: "API version, routable as /orchestrator/VERSION/NAME/... (v1, 2, v2.1).")
    var version: String?

    @Option(help: "Seconds the upstream has to answer (1-300, default 30).")
    var timeout: Int?

    @Option(name: .customLong("health-path"), help: "Path probed by health checks, below the endpoint's URL.")
    var healthPath: String?

    @Option(name: .customLong("auth-type"), help: "none, bearer, api_key, basic or oauth2 (informational).")
    var authType: String?

    @Option(
        name: .customLong("upstream"),
        help: ArgumentHelp(
            "An upstream of the endpoint's pool, URL or URL=WEIGHT (weight 1-100); repeat for several.",
            discussion: "A URL whose query ends in '=DIGITS' needs its weight written out (URL=1)."))
    var upstreams: [String] = []

    @Option(name: .customLong("lb"), help: "How requests spread over the pool: round_robin, least_request or random.")
    var loadBalancing: String?

    @Option(name: .customLong("retry-attempts"), help: "Retries of a refused connection (0-5, default 1).")
    var retryAttempts: Int?

    @Option(
        name: .customLong("retry-on"),
        help: "An upstream status (503) or class (5xx) retried for idempotent requests; repeat for several.")
    var retryOn: [String] = []

    @Option(name: .customLong("rate-limit"), help: "Requests per second each key may make, as N or N/s.")
    var rateLimit: String?

    @Option(help: "Requests a key may make at once under --rate-limit (default: one second's worth).")
    var burst: Int?

    @Option(name: .customLong("rate-limit-key"), help: "What --rate-limit counts by: client_ip, global or header:NAME.")
    var rateLimitKey: String?

    var isEmpty: Bool {
        methods.isEmpty && version == nil && timeout == nil && healthPath == nil && authType == nil
            && upstreams.isEmpty && loadBalancing == nil && retryAttempts == nil && retryOn.isEmpty && rateLimit == nil
            && burst == nil && rateLimitKey == nil
    }

    func validate() throws {
        if let loadBalancing, LoadBalancing(rawValue: loadBalancing) == nil {
            let names = LoadBalancing.allCases.map(\.rawValue).joined(separator: ", ")
            throw ArgumentParser.ValidationError("--lb must be one of \(names)")
        }
        if let rateLimit, Self.rate(rateLimit) == nil {
            throw ArgumentParser.ValidationError("--rate-limit must be a number of requests per second, as 5 or 5/s")
        }
        if let rateLimitKey, RateLimitKey(rateLimitKey) == nil {
            throw ArgumentParser.ValidationError("--rate-limit-key " + RateLimitKey.expected)
        }
    }

    /// Sets each given field in an endpoint's config (checked by ``validate()``; the admin API
    /// checks the values). `--burst` or `--rate-limit-key` without `--rate-limit` change the
    /// endpoint's limit, and nothing on an endpoint without one.
    func apply(to config: inout EndpointConfig) {
        if !methods.isEmpty { config.methods = methods.map { $0.uppercased() } }
        if let version { config.version = version }
        if let timeout { config.timeout = timeout }
        if let healthPath { config.healthCheckPath = healthPath }
        if let authType { config.authType = authType }
        if !upstreams.isEmpty {
            let pool = upstreams.map(Self.upstream)
            config.upstreams = pool
            config.url = pool[0].url
        }
        if let loadBalancing { config.loadBalancing = LoadBalancing(rawValue: loadBalancing) }
        if retryAttempts != nil || !retryOn.isEmpty {
            var retry = config.retry ?? .defaults
            if let retryAttempts { retry.attempts = retryAttempts }
            if !retryOn.isEmpty { retry.on = retryOn.map { $0.lowercased() } }
            config.retry = retry
        }
        if let rate = rateLimit.flatMap(Self.rate) ?? config.rateLimit?.requestsPerSecond,
            rateLimit != nil || burst != nil || rateLimitKey != nil
        {
            // A new rate without --burst gets one second's worth.
            let keptBurst = rateLimit == nil ? config.rateLimit?.burst : nil
            config.rateLimit = RateLimitPolicy(
                requestsPerSecond: rate, burst: burst ?? keptBurst,
                key: rateLimitKey.flatMap(RateLimitKey.init) ?? config.rateLimit?.key ?? .clientIP,
                scope: config.rateLimit?.scope ?? .replica)
        }
    }

    /// `URL` or `URL=WEIGHT`.
    static func upstream(_ text: String) -> UpstreamConfig {
        if let mark = text.lastIndex(of: "="), let weight = Int(text[text.index(after: mark)...]),
            !text[..<mark].isEmpty
        {
            return UpstreamConfig(url: String(text[..<mark]), weight: weight)
        }
        return UpstreamConfig(url: text)
    }

    /// `N` or `N/s`; `nil` when it is neither.
    static func rate(_ text: String) -> Double? {
        let number = text.hasSuffix("/s") ? String(text.dropLast(2)) : text
        guard let rate = Double(number), rate.isFinite, rate > 0 else { return nil }
        return rate
    }
}
