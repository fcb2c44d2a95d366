import AdminAPI
import Foundation
import Hummingbird
import Shared

/// Changes to many API-owned endpoints in one transaction and one snapshot version:
/// `PUT /registry/endpoints` replaces the whole API-owned set, `POST /registry/endpoints:batch`
/// applies upserts and removals. Either all of a change applies or none of it.
struct BulkEndpointRoutes {
    let services: AdminServices

    func register(on router: Router<BasicRequestContext>) {
        router.put("registry/endpoints", use: replaceAll)
        router.post("registry/endpoints:batch", use: batch)
    }

    /// `{"endpoints": [...]}`: the API-owned endpoints afterwards are exactly these.
    @Sendable func replaceAll(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<
        ImportResult
    > {
        let dryRun = try Self.dryRun(request)
        let root = try await request.jsonBody(upTo: maximumBulkBodySize)
        let context = ValidationContext()
        var endpoints: [EndpointConfig] = []
        if let reader = ObjectReader(root, path: "", allowedKeys: ["endpoints"], context: context) {
            if let node = reader.node("endpoints") {
                endpoints = Self.endpoints(node, path: "endpoints", reader: reader, context: context)
            } else {
                reader.fail("endpoints", "required: the list of API-owned endpoints ([] for none)")
            }
        }
        do { try context.check() } catch { throw APIError(validation: error, location: ["body"]) }
        let result = try await services.registry.apply(
            EndpointBatch(upserts: endpoints, prune: true), dryRun: dryRun,
            cause: "api: replace all (\(endpoints.count) endpoint\(endpoints.count == 1 ? "" : "s"))")
        return JSONResponse(result)
    }

    /// `{"upsert": [...], "remove": ["name", ...]}`: creates or replaces each upserted endpoint
    /// (its URL may change) and removes each named one.
    @Sendable func batch(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<
        ImportResult
    > {
        let dryRun = try Self.dryRun(request)
        let root = try await request.jsonBody(upTo: maximumBulkBodySize)
        let context = ValidationContext()
        var upserts: [EndpointConfig] = []
        var removals: [String] = []
        if let reader = ObjectReader(root, path: "", allowedKeys: ["upsert", "remove"], context: context) {
            if let node = reader.node("upsert") {
                upserts = Self.endpoints(node, path: "upsert", reader: reader, context: context)
            }
            removals =
                reader.list("remove") { node, path in
                    guard case .string(let name) = node.value, !name.isEmpty else {
                        context.fail(path, node.line, "must be an endpoint name")
                        return nil
                    }
                    return name
                } ?? []
            if !reader.has("upsert") && !reader.has("remove") {
                reader.fail("upsert", "a batch needs upsert, remove or both")
            }
        }
        do { try context.check() } catch { throw APIError(validation: error, location: ["body"]) }
        let result = try await services.registry.apply(
            EndpointBatch(upserts: upserts, removals: removals), dryRun: dryRun,
            cause: "api: batch (\(upserts.count) upserted, \(removals.count) removed)")
        return JSONResponse(result)
    }

    private static func endpoints(
        _ node: ConfigNode, path: String, reader: ObjectReader, context: ValidationContext
    ) -> [EndpointConfig] {
        guard case .array(let items) = node.value else {
            reader.fail(path, "must be a list, not \(node.value.typeName)")
            return []
        }
        return EndpointConfig.readList(items, path: path, context: context)
    }

    private static func dryRun(_ request: Request) throws -> Bool {
        var issues: [ValidationIssue] = []
        let dryRun = QueryValue.bool(
            request.uri.queryParameters["dry_run"], default: false, field: "dry_run", issues: &issues)
        if !issues.isEmpty { throw APIError(validation: ValidationError(issues), location: ["query"]) }
        return dryRun
    }
}
