import AdminAPI
import Foundation
import Hummingbird
import Shared

/// `/config/*`: the watched config file, reloads, and validation of uploaded documents.
struct ConfigRoutes {
    let services: AdminServices

    func register(on router: Router<BasicRequestContext>) {
        let group = router.group("config")
        group.post("reload", use: reload)
        group.get("status", use: status)
        group.get("endpoints", use: endpoints)
        group.post("validate", use: validate)
        group.post("diff", use: diff)
    }

    /// Reads the file now and applies it; 422 (with every error) when it is invalid, the old
    /// state serving on.
    @Sendable func reload(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<ConfigReloaded>
    {
        switch await services.config.load(cause: "api: config reload", force: true) {
        case .applied(let config, let result):
            return JSONResponse(ConfigReloaded(endpointsCount: config.endpoints.count, syncResult: result))
        case .missing(let result):
            return JSONResponse(
                ConfigReloaded(
                    message: "Configuration file \(services.config.path) is absent: no file-owned endpoints",
                    endpointsCount: 0, syncResult: result))
        case .invalid(let error):
            throw APIError(
                validation: ValidationError(
                    error.issues.map { issue in
                        var copy = issue
                        copy.message = "Failed to reload configuration: " + issue.message
                        return copy
                    }), location: ["config"])
        case .unchanged:
            throw APIError(.internalServerError, "Failed to reload configuration")
        case .notLeader:
            throw RegistryError.notLeader
        }
    }

    @Sendable func status(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<ConfigStatus> {
        let source = services.config
        let error = await source.lastError
        let config = await source.config
        let current = await services.registry.current
        return JSONResponse(
            ConfigStatus(
                loaded: config != nil, version: await source.fileHash, configPath: source.path,
                endpointsCount: config?.endpoints.count ?? 0,
                lastReloadError: error.map { "Configuration validation error: \($0.description)" },
                lastReloadErrors: ValidationIssue.inLineOrder(error?.issues ?? []),
                lastReloadTime: await source.lastReloadTime, watching: await source.watching,
                drift: try await services.configDrift(), proxy: current.proxy ?? .defaults,
                tls: TLSStatus(listener: services.tlsListener, settings: current.tls)))
    }

    /// The endpoints as written in the loaded file.
    @Sendable func endpoints(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<
        ConfigEndpoints
    > {
        guard let config = await services.config.config else { throw APIError(.notFound, "Configuration not loaded") }
        let disabled = config.endpoints.filter(\.disabled).count
        return JSONResponse(
            ConfigEndpoints(
                endpoints: config.endpoints, totalCount: config.endpoints.count, disabledCount: disabled,
                activeCount: config.endpoints.count - disabled))
    }

    /// Validates the YAML document in the body (never a server-side path); changes nothing.
    @Sendable func validate(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<
        ConfigValidation
    > {
        let text = try await request.textBody()
        do {
            let config = try GatewayConfig.parse(yaml: text)
            return JSONResponse(
                ConfigValidation(valid: true, errorMessage: nil, errors: [], endpointsCount: config.endpoints.count))
        } catch {
            return JSONResponse(
                ConfigValidation(
                    valid: false, errorMessage: "Validation error: \(error.description)", errors: error.issues))
        }
    }

    /// What applying the YAML document in the body would change; applies nothing.
    @Sendable func diff(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<ConfigDiff> {
        let text = try await request.textBody()
        let proposed: GatewayConfig
        do {
            proposed = try GatewayConfig.parse(yaml: text)
        } catch {
            throw APIError(validation: error, location: ["body"])
        }
        let comparison = ConfigComparison(
            proposed, records: try await services.registry.records(),
            policies: try await services.store.readTransaction { db in try GlobalPolicies.load(db) },
            proxy: await services.registry.current.proxy ?? .defaults, tls: await services.registry.current.tls)
        let diff = ConfigDiff(
            added: comparison.added, changed: comparison.changed, removed: comparison.removed,
            unchanged: comparison.unchanged, conflicts: comparison.conflicts,
            policiesChanged: comparison.policiesChanged, proxyChanged: comparison.proxyChanged,
            tlsChanged: comparison.tlsChanged)
        return JSONResponse(diff)
    }
}
