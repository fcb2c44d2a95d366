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

        @Option(help: "The upstream base URL (http or https).")
        var url: String

        @OptionGroup var fields: EndpointFields

        @Flag(help: "Add it disabled (requests get 503 until it is enabled).")
        var disabled = false

        func run() async throws {
            var config = EndpointConfig(name: name, url: url, disabled: disabled)
            fields.apply(to: &config)
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

    var isEmpty: Bool {
        methods.isEmpty && version == nil && timeout == nil && healthPath == nil && authType == nil
    }

    /// Sets each given field in an endpoint's config.
    func apply(to config: inout EndpointConfig) {
        if !methods.isEmpty { config.methods = methods.map { $0.uppercased() } }
        if let version { config.version = version }
        if let timeout { config.timeout = timeout }
        if let healthPath { config.healthCheckPath = healthPath }
        if let authType { config.authType = authType }
    }
}
