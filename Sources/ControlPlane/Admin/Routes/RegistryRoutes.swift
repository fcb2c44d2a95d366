import AdminAPI
import Foundation
import Hummingbird
import Shared

/// `/registry/*`: the original's endpoint registry, backed by the store.
struct RegistryRoutes {
    let services: AdminServices

    func register(on router: Router<BasicRequestContext>) {
        let group = router.group("registry")
        group.get("endpoints", use: list)
        group.get("endpoints/:id", use: get)
        group.post("endpoints", use: create)
        group.put("endpoints/:id", use: replace)
        group.delete("endpoints/:id", use: remove)
        group.put("endpoints/:id/status", use: setStatus)
        group.get("stats", use: stats)
        group.post("sync", use: sync)
    }

    func details() async throws -> [EndpointDetails] { try await services.allDetails() }

    static func stats(_ details: [EndpointDetails]) -> RegistryStats {
        var stats = RegistryStats()
        for endpoint in details { stats.count(endpoint.status) }
        return stats
    }

    @Sendable func list(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<EndpointList> {
        let query = request.uri.queryParameters
        var issues: [ValidationIssue] = []
        let status = query["status"].map(String.init)
        let statuses = ["active", "inactive", "disabled", "unhealthy"]
        if let status, !statuses.contains(status) {
            issues.append(
                .init(field: "status", line: nil, message: "must be one of \(statuses.joined(separator: ", "))"))
        }
        let includeDisabled = QueryValue.bool(
            query["include_disabled"], default: true, field: "include_disabled", issues: &issues)
        let limit = QueryValue.int(query["limit"], default: 100, range: 1...1000, field: "limit", issues: &issues)
        let offset = QueryValue.int(query["offset"], default: 0, range: 0...Int.max, field: "offset", issues: &issues)
        let cursor = QueryValue.cursor(query["cursor"], issues: &issues)
        if !issues.isEmpty { throw APIError(validation: ValidationError(issues), location: ["query"]) }

        // Counts over every endpoint, details (probes, breakers) for the page only.
        let records = try await services.registry.records()
        let health = await services.registry.allHealth()
        var stats = RegistryStats()
        var matching = 0
        var rest: [EndpointRecord] = []
        for record in records {
            let runtime = EndpointDetails.runtimeStatus(record, health: health[record.name] ?? .unknown)
            stats.count(runtime)
            guard (includeDisabled || !record.config.disabled) && (status == nil || runtime == status) else { continue }
            matching += 1
            if record.seq > cursor ?? 0 { rest.append(record) }
        }
        let page = Array(rest.dropFirst(offset).prefix(limit))
        return JSONResponse(
            EndpointList(
                endpoints: try await services.details(of: page), totalCount: matching, activeCount: stats.active,
                unhealthyCount: stats.unhealthy, disabledCount: stats.disabled,
                nextCursor: rest.count > offset + limit ? page.last.map { String($0.seq) } : nil))
    }

    @Sendable func get(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<EndpointDetails> {
        let id = try context.parameters.require("id")
        guard let record = try await services.registry.record(id) else {
            throw APIError(.notFound, "Endpoint not found: \(id)")
        }
        return JSONResponse(await services.details(record))
    }

    @Sendable func create(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<
        EndpointRegistered
    > {
        let node = try await request.jsonBody()
        let config: EndpointConfig
        do {
            config = try EndpointConfig.validate(node)
        } catch {
            throw APIError(validation: error, location: ["body", "config"])
        }
        let record = try await services.registry.register(config)
        return JSONResponse(
            EndpointRegistered(
                message: "Endpoint registered successfully", endpointId: record.name,
                endpointURL: record.config.url))
    }

    @Sendable func replace(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<
        EndpointRegistered
    > {
        let id = try context.parameters.require("id")
        var node = try await request.jsonBody()
        // The path names the endpoint; the body may omit `name`.
        if case .object(var members) = node.value, !members.contains(where: { $0.key == "name" }),
            !members.contains(where: { $0.key == "config" })
        {
            members.append(ConfigMember(key: "name", value: ConfigNode(.string(id))))
            node.value = .object(members)
        }
        let config: EndpointConfig
        do {
            config = try EndpointConfig.validate(node)
        } catch {
            throw APIError(validation: error, location: ["body"])
        }
        guard config.name == id else {
            throw APIError(
                validation: ValidationError(field: "name", "must match the endpoint in the path ('\(id)')"),
                location: ["body"])
        }
        let record = try await services.registry.replace(id, with: config)
        return JSONResponse(
            EndpointRegistered(
                message: "Endpoint updated successfully", endpointId: record.name, endpointURL: record.config.url))
    }

    @Sendable func remove(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<
        EndpointRemoved
    > {
        let id = try context.parameters.require("id")
        try await services.registry.remove(id)
        return JSONResponse(EndpointRemoved(message: "Endpoint \(id) unregistered successfully", endpointId: id))
    }

    @Sendable func setStatus(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<
        EndpointStatusChanged
    > {
        let id = try context.parameters.require("id")
        guard let text = request.uri.queryParameters["status"] else {
            throw APIError(
                validation: ValidationError(
                    field: "status", "is required (?status=active|inactive|disabled|unhealthy)"), location: ["query"])
        }
        guard let status = AdminStatus(rawValue: String(text)) else {
            throw APIError(
                validation: ValidationError(field: "status", "must be one of active, inactive, disabled, unhealthy"),
                location: ["query"])
        }
        try await services.registry.setStatus(id, status)
        return JSONResponse(
            EndpointStatusChanged(
                message: "Endpoint status updated to \(status.rawValue)", endpointId: id, newStatus: status.rawValue))
    }

    @Sendable func stats(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<
        RegistryStatsResponse
    > {
        JSONResponse(
            RegistryStatsResponse(registryStats: Self.stats(try await details()), timestamp: Timestamp.string()))
    }

    /// Re-applies the loaded config file (API-owned endpoints are untouched).
    @Sendable func sync(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<RegistrySynced> {
        guard let config = await services.config.config else { throw APIError(.notFound, "Configuration not loaded") }
        do {
            let result = try await services.registry.apply(config, cause: "api: registry sync")
            return JSONResponse(RegistrySynced(syncResult: result, timestamp: Timestamp.string()))
        } catch let error as ValidationError {
            throw APIError(validation: error, location: ["config"])
        }
    }
}

/// Lenient parsing of query values, reporting bad ones as validation issues.
enum QueryValue {
    static func bool(_ raw: Substring?, default value: Bool, field: String, issues: inout [ValidationIssue]) -> Bool {
        guard let raw else { return value }
        switch raw.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default:
            issues.append(.init(field: field, line: nil, message: "must be true or false"))
            return value
        }
    }

    static func int(
        _ raw: Substring?, default value: Int, range: ClosedRange<Int>, field: String, issues: inout [ValidationIssue]
    ) -> Int {
        guard let raw else { return value }
        guard let number = Int(raw), range.contains(number) else {
            let upper = range.upperBound == Int.max ? "" : " and at most \(range.upperBound)"
            issues.append(
                .init(
                    field: field, line: nil, message: "must be a whole number of at least \(range.lowerBound)\(upper)"))
            return value
        }
        return number
    }

    /// A `cursor` from a listing's `next_cursor`: a positive whole number, opaque to clients.
    static func cursor(_ raw: Substring?, issues: inout [ValidationIssue]) -> Int? {
        guard let raw else { return nil }
        guard let value = Int(raw), value > 0 else {
            issues.append(.init(field: "cursor", line: nil, message: "must be a next_cursor of an earlier page"))
            return nil
        }
        return value
    }
}
