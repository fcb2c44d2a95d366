import AdminAPI
import Foundation
import Hummingbird
import Shared

/// `/snapshots`: the history of published snapshots and rollback.
struct SnapshotRoutes {
    let services: AdminServices

    func register(on router: Router<BasicRequestContext>) {
        let group = router.group("snapshots")
        group.get("", use: list)
        group.get(":version", use: get)
        group.post(":version/rollback", use: rollback)
    }

    @Sendable func list(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<SnapshotListing>
    {
        var issues: [ValidationIssue] = []
        let limit = QueryValue.int(
            request.uri.queryParameters["limit"], default: 50, range: 1...1000, field: "limit", issues: &issues)
        let offset = QueryValue.int(
            request.uri.queryParameters["offset"], default: 0, range: 0...Int.max, field: "offset", issues: &issues)
        let cursor = QueryValue.cursor(request.uri.queryParameters["cursor"], issues: &issues)
        if !issues.isEmpty { throw APIError(validation: ValidationError(issues), location: ["query"]) }
        // One row more than asked tells whether another page follows.
        let (rows, count) = try await services.store.readTransaction { db in
            (
                try SnapshotRecord.list(db, before: cursor, limit: limit + 1, offset: offset),
                try SnapshotRecord.count(db)
            )
        }
        let page = Array(rows.prefix(limit))
        return JSONResponse(
            SnapshotListing(
                currentVersion: await services.registry.current.version, snapshots: page, totalCount: count,
                nextCursor: rows.count > limit ? page.last.map { String($0.version) } : nil))
    }

    func version(_ context: BasicRequestContext) throws -> Int {
        let text = try context.parameters.require("version")
        guard let version = Int(text), version > 0 else {
            throw APIError(
                validation: ValidationError(field: "version", "must be a positive whole number"), location: ["path"])
        }
        return version
    }

    @Sendable func get(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<Snapshot> {
        let version = try version(context)
        guard
            let snapshot = try await services.store.readTransaction({ db in
                try SnapshotRecord.find(db, version: version)
            })
        else {
            throw APIError(.notFound, "Snapshot not found: \(version)")
        }
        return JSONResponse(snapshot)
    }

    @Sendable func rollback(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<
        RollbackResult
    > {
        let version = try version(context)
        let snapshot = try await services.registry.rollback(to: version)
        return JSONResponse(
            RollbackResult(
                message: "Rolled back to the endpoints of snapshot \(version) (now version \(snapshot.version))",
                version: snapshot.version, restoredFrom: version))
    }
}
