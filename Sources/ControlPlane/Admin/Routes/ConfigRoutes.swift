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

    struct Reloaded: Encodable, Sendable {
        var success = true
        var message = "Configuration reloaded successfully"
        var endpoints_count: Int
        var sync_result: SyncResult
        var errors: [String] = []
    }

    /// Reads the file now and applies it; 422 (with every error) when it is invalid, the old
    /// state serving on.
    @Sendable func reload(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<Reloaded> {
        switch await services.config.load(cause: "api: config reload", force: true) {
        case .applied(let config, let result):
            return JSONResponse(Reloaded(endpoints_count: config.endpoints.count, sync_result: result))
        case .missing(let result):
            return JSONResponse(
                Reloaded(
                    message: "Configuration file \(services.config.path) is absent: no file-owned endpoints",
                    endpoints_count: 0, sync_result: result))
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
        }
    }

    struct Status: Encodable, Sendable {
        var loaded: Bool
        var version: String?
        var config_path: String
        var endpoints_count: Int
        var last_reload_error: String?
        var last_reload_errors: [ValidationIssue]
        var last_reload_time: String?
        var watching: Bool
        /// How the serving state differs from the loaded file (after a rollback), `null` before
        /// the file was ever applied.
        var drift: ConfigDrift?
        /// The limits the replicas apply: the current snapshot's (the file's `proxy:` section as
        /// last applied, or a rolled-back snapshot's).
        var proxy: ProxyLimits
        /// The TLS listener and the certificates the replicas serve (the current snapshot's).
        var tls: TLSStatus

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(loaded, forKey: .loaded)
            try container.encode(version, forKey: .version)
            try container.encode(config_path, forKey: .config_path)
            try container.encode(endpoints_count, forKey: .endpoints_count)
            try container.encode(last_reload_error, forKey: .last_reload_error)
            try container.encode(last_reload_errors, forKey: .last_reload_errors)
            try container.encode(last_reload_time, forKey: .last_reload_time)
            try container.encode(watching, forKey: .watching)
            try container.encode(drift, forKey: .drift)
            try container.encode(proxy, forKey: .proxy)
            try container.encode(tls, forKey: .tls)
        }

        enum CodingKeys: CodingKey {
            case loaded, version, config_path, endpoints_count, last_reload_error, last_reload_errors
            case last_reload_time, watching, drift, proxy, tls
        }
    }

    @Sendable func status(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<Status> {
        let source = services.config
        let error = await source.lastError
        let config = await source.config
        let current = await services.registry.current
        return JSONResponse(
            Status(
                loaded: config != nil, version: await source.fileHash, config_path: source.path,
                endpoints_count: config?.endpoints.count ?? 0,
                last_reload_error: error.map { "Configuration validation error: \($0.description)" },
                last_reload_errors: ValidationIssue.inLineOrder(error?.issues ?? []),
                last_reload_time: await source.lastReloadTime, watching: await source.watching,
                drift: try await services.configDrift(), proxy: current.proxy ?? .defaults,
                tls: TLSStatus(listener: services.tlsListener, settings: current.tls)))
    }

    struct Endpoints: Encodable, Sendable {
        var endpoints: [EndpointConfig]
        var total_count: Int
        var disabled_count: Int
        var active_count: Int
    }

    /// The endpoints as written in the loaded file.
    @Sendable func endpoints(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<Endpoints> {
        guard let config = await services.config.config else { throw APIError(.notFound, "Configuration not loaded") }
        let disabled = config.endpoints.filter(\.disabled).count
        return JSONResponse(
            Endpoints(
                endpoints: config.endpoints, total_count: config.endpoints.count, disabled_count: disabled,
                active_count: config.endpoints.count - disabled))
    }

    struct Validated: Encodable, Sendable {
        var valid: Bool
        var error_message: String?
        var errors: [ValidationIssue]
        var endpoints_count: Int?
        var config_path: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(valid, forKey: .valid)
            try container.encode(error_message, forKey: .error_message)
            try container.encode(errors, forKey: .errors)
            try container.encode(endpoints_count, forKey: .endpoints_count)
            try container.encode(config_path, forKey: .config_path)
        }

        enum CodingKeys: CodingKey { case valid, error_message, errors, endpoints_count, config_path }
    }

    /// Validates the YAML document in the body (never a server-side path); changes nothing.
    @Sendable func validate(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<Validated> {
        let text = try await request.textBody()
        do {
            let config = try GatewayConfig.parse(yaml: text)
            return JSONResponse(
                Validated(valid: true, error_message: nil, errors: [], endpoints_count: config.endpoints.count))
        } catch {
            return JSONResponse(
                Validated(valid: false, error_message: "Validation error: \(error.description)", errors: error.issues))
        }
    }

    struct Changed: Encodable, Sendable {
        var name: String
        var fields: [String]
    }

    struct Diff: Encodable, Sendable {
        var valid = true
        var added: [String]
        var changed: [Changed]
        var removed: [String]
        var unchanged: [String]
        var conflicts: [String]
        var policies_changed: Bool
        var proxy_changed: Bool
        var tls_changed: Bool
    }

    /// What applying the YAML document in the body would change; applies nothing.
    @Sendable func diff(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<Diff> {
        let text = try await request.textBody()
        let proposed: GatewayConfig
        do {
            proposed = try GatewayConfig.parse(yaml: text)
        } catch {
            throw APIError(validation: error, location: ["body"])
        }
        let comparison = ConfigComparison(
            proposed, records: try await services.registry.records(),
            policies: try await services.store.read { db in try GlobalPolicies.load(db) },
            proxy: await services.registry.current.proxy ?? .defaults, tls: await services.registry.current.tls)
        let diff = Diff(
            added: comparison.added, changed: comparison.changed.map { Changed(name: $0.name, fields: $0.fields) },
            removed: comparison.removed, unchanged: comparison.unchanged, conflicts: comparison.conflicts,
            policies_changed: comparison.policiesChanged, proxy_changed: comparison.proxyChanged,
            tls_changed: comparison.tlsChanged)
        return JSONResponse(diff)
    }
}
