import AdminAPI
import ArgumentParser
import Foundation
import NIOHTTP1

/// `orchctl breaker ...`: circuit breakers as the replicas report them.
struct BreakerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "breaker",
        abstract: "Show circuit breakers per endpoint and replica; reset one.",
        subcommands: [ListBreakers.self, ResetBreaker.self]
    )
}

extension BreakerCommand {
    struct ListBreakers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "Each endpoint's breaker: aggregate state and each replica's.")

        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let fetched = try await AdminClient.with(global) { client in
                try await client.fetch(BreakerListing.self, "/health/circuit-breakers", action: "list circuit breakers")
            }
            Printer(global).show(fetched.raw) { BreakerRendering.list(fetched.value, $0) }
        }
    }

    struct ResetBreaker: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset", abstract: "Close an endpoint's breaker in every replica.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The endpoint name.")
        var name: String

        func run() async throws {
            let fetched = try await AdminClient.with(global) { client in
                try await client.fetch(
                    BreakerResetResult.self, .POST, "/health/circuit-breakers/\(name)/reset",
                    action: "reset the breaker of \(name)", notFoundHint: "'orchctl endpoint list' shows the endpoints")
            }
            Printer(global).show(fetched.raw) { _ in fetched.value.message }
        }
    }
}

/// `orchctl health ...`: the control plane's active health checks.
struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Probe an endpoint now.",
        subcommands: [CheckHealth.self]
    )
}

extension HealthCommand {
    struct CheckHealth: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Probe an endpoint now; the result counts towards its thresholds.",
            discussion: "Exits 1 when the probe fails (no answer, or a status other than 2xx/3xx).")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The endpoint name.")
        var name: String

        func run() async throws {
            let fetched = try await AdminClient.with(global) { client in
                try await client.fetch(
                    HealthCheckResult.self, .POST, "/health/check/\(name)", action: "check the health of \(name)",
                    notFoundHint: "'orchctl endpoint list' shows the endpoints")
            }
            Printer(global).show(fetched.raw) { BreakerRendering.check(name, fetched.value, $0) }
            if let error = fetched.value.result.errorMessage {
                throw OrchctlError.failure("the probe of \(name) failed: \(error)")
            }
        }
    }
}
