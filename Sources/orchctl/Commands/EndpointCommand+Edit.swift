import AdminAPI
import ArgumentParser
import Foundation
import NIOHTTP1
import Shared

extension EndpointCommand {
    struct UpdateEndpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "update",
            abstract: "Change some fields of an endpoint; the fields not given stay as they are.",
            discussion: "--method replaces the whole list of methods.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The endpoint's name.")
        var name: String

        @Option(help: "A new upstream base URL.")
        var url: String?

        @OptionGroup var fields: EndpointFields

        @Flag(name: .customLong("clear-version"), help: "Remove the endpoint's version.")
        var clearVersion = false

        @Flag(name: .customLong("clear-health-path"), help: "Probe the endpoint's URL itself again.")
        var clearHealthPath = false

        @Flag(inversion: .prefixedNo, help: "Disable (--disabled) or enable (--no-disabled) the endpoint.")
        var disabled: Bool?

        func validate() throws {
            if url != nil && !fields.upstreams.isEmpty {
                throw ArgumentParser.ValidationError("--url and --upstream contradict each other")
            }
            if url == nil && fields.isEmpty && !clearVersion && !clearHealthPath && disabled == nil {
                throw ArgumentParser.ValidationError(
                    "nothing to change: give at least one of --url, --upstream, --method, --version, --timeout,"
                        + " --health-path, --auth-type, --lb, --retry-attempts, --retry-on, --rate-limit, --burst, --rate-limit-key,"
                        + " --clear-version, --clear-health-path, --disabled, --no-disabled")
            }
            if clearVersion && fields.version != nil {
                throw ArgumentParser.ValidationError("--version and --clear-version contradict each other")
            }
            if clearHealthPath && fields.healthPath != nil {
                throw ArgumentParser.ValidationError("--health-path and --clear-health-path contradict each other")
            }
        }

        func run() async throws {
            let fetched = try await AdminClient.with(global) { client in
                try await EndpointEditor(client: client, name: name).edit(action: "update endpoint '\(name)'") {
                    config in
                    if let url {
                        config.url = url
                        config.upstreams = nil
                    }
                    fields.apply(to: &config)
                    if clearVersion { config.version = nil }
                    if clearHealthPath { config.healthCheckPath = nil }
                    if let disabled { config.disabled = disabled }
                }
            }
            Printer(global).show(fetched.raw) { _ in "Updated endpoint '\(name)'" }
        }
    }

    struct EnableEndpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "enable", abstract: "Route requests to an endpoint again (clears its disabled flag).")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The endpoint's name.")
        var name: String

        func run() async throws {
            let (fetched, status) = try await AdminClient.with(global) { client in
                let editor = EndpointEditor(client: client, name: name)
                let fetched = try await editor.edit(action: "enable endpoint '\(name)'") { $0.disabled = false }
                return (fetched, try await editor.details().value.status)
            }
            Printer(global).show(fetched.raw) { terminal in
                var text = "Enabled endpoint '\(name)'"
                if status != "active" {
                    // The operator status (PUT /registry/endpoints/{id}/status) is separate from the flag.
                    text +=
                        "\nnote: its status is still \(terminal.paint(status, Style.of(status)))"
                        + " (set with PUT /registry/endpoints/\(name)/status?status=active)"
                }
                return text
            }
        }
    }

    struct DisableEndpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "disable",
            abstract: "Stop routing to an endpoint: requests get 503 'Endpoint is disabled' until it is enabled.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The endpoint's name.")
        var name: String

        func run() async throws {
            let fetched = try await AdminClient.with(global) { client in
                try await EndpointEditor(client: client, name: name).edit(action: "disable endpoint '\(name)'") {
                    $0.disabled = true
                }
            }
            Printer(global).show(fetched.raw) { _ in
                "Disabled endpoint '\(name)' (requests get 503 until 'orchctl endpoint enable \(name)')"
            }
        }
    }
}

/// Changes an endpoint by reading its config, changing it and writing it back whole
/// (`PUT /registry/endpoints/{id}`). A file-owned endpoint is refused by the server with 409
/// naming the file.
struct EndpointEditor {
    let client: AdminClient
    let name: String

    var path: String { "/registry/endpoints/\(PathComponent.encode(name))" }

    func details() async throws(OrchctlError) -> Fetched<EndpointDetails> {
        try await client.fetch(
            EndpointDetails.self, path, action: "get endpoint '\(name)'", notFoundHint: endpointListHint)
    }

    func edit(
        action: String, _ change: (inout EndpointConfig) -> Void
    ) async throws(OrchctlError) -> Fetched<EndpointRegistered> {
        let details = try await details().value
        var config = EndpointConfig(
            name: details.name, url: details.url, version: details.version, methods: details.methods,
            authType: details.authType, disabled: details.disabled, healthCheckPath: details.healthCheckPath,
            timeout: details.timeout, circuitBreaker: details.circuitBreaker, healthCheck: details.healthCheck,
            upstreams: details.upstreams?.map(\.config), loadBalancing: details.loadBalancing, retry: details.retry,
            rateLimit: details.rateLimit, upstreamLimits: details.upstreamLimits,
            tunnelIdleTimeout: details.tunnelIdleTimeout, slowStart: details.slowStart)
        change(&config)
        return try await client.fetch(
            EndpointRegistered.self, .PUT, path, body: try EndpointBody.encode(config), action: action,
            notFoundHint: endpointListHint)
    }
}
