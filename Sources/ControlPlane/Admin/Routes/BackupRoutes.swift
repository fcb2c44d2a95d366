import AdminAPI
import Foundation
import Hummingbird
import NIOCore
import Shared

/// `GET /backup` (a consistent copy of the store, streamed), `GET /registry/export` and
/// `POST /registry/import` (the API-owned endpoints as a declarative YAML document).
struct BackupRoutes {
    let services: AdminServices
    let dataDirectory: String

    func register(on router: Router<BasicRequestContext>) {
        router.get("backup", use: backup)
        router.get("registry/export", use: export)
        router.post("registry/import", use: importEndpoints)
    }

    /// Makes the copy with `VACUUM INTO` in the data directory, streams it, and deletes it.
    @Sendable func backup(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let path = (dataDirectory as NSString).appendingPathComponent(
            ".backup-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).sqlite")
        guard let sqlite = services.store as? Store else {
            throw APIError(
                .conflict,
                "Backups of a PostgreSQL store are made with pg_dump: the database holds every control plane's state")
        }
        let version: Int
        do {
            version = try await sqlite.backup(to: path)
        } catch {
            unlink(path)
            throw APIError(.internalServerError, "Backup failed: \(error)")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            unlink(path)
            throw APIError(.internalServerError, "Backup failed: cannot read the copy")
        }
        // The name goes at once; the open handle keeps the data until the stream ends.
        unlink(path)
        let size = (try? handle.seekToEnd()).map(Int.init) ?? 0
        try? handle.seek(toOffset: 0)
        let body = ResponseBody { writer in
            defer { try? handle.close() }
            while let chunk = try handle.read(upToCount: 256 * 1024), !chunk.isEmpty {
                try await writer.write(ByteBuffer(bytes: chunk))
            }
            try await writer.finish(nil)
        }
        let name = "orchestrator-\(Timestamp.string().replacingOccurrences(of: ":", with: "")).sqlite"
        var headers: HTTPFields = [
            .contentType: "application/vnd.sqlite3", .contentLength: String(size),
            .contentDisposition: "attachment; filename=\"\(name)\"",
        ]
        headers[.init("X-Snapshot-Version")!] = String(version)
        return Response(status: .ok, headers: headers, body: body)
    }

    /// The API-owned endpoints as a config-file document (`endpoints:` only).
    @Sendable func export(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let records = try await services.registry.records().filter { $0.owner == .api }
        let text = try EndpointConfig.yamlDocument(
            records.map(\.config),
            comment: "API-owned endpoints exported \(Timestamp.string()); orchctl endpoint import FILE applies it")
        return Response(
            status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// Makes the API-owned endpoints match the YAML document in the body (`endpoints:` only):
    /// creates and updates; `prune=true` also removes those not in it; `dry_run=true` changes
    /// nothing and says what would happen.
    @Sendable func importEndpoints(
        _ request: Request, context: BasicRequestContext
    ) async throws -> JSONResponse<ImportResult> {
        let query = request.uri.queryParameters
        let prune = query["prune"].map { $0 == "true" || $0 == "1" } ?? false
        let dryRun = query["dry_run"].map { $0 == "true" || $0 == "1" } ?? false
        let text = try await request.textBody(upTo: maximumBulkBodySize)
        let document: GatewayConfig
        do {
            document = try GatewayConfig.parse(yaml: text)
        } catch {
            throw APIError(validation: error, location: ["body"])
        }
        guard document.circuitBreaker == .defaults, document.healthCheck == .defaults, document.proxy == .defaults,
            document.tls == nil, document.logLevel == nil
        else {
            throw APIError(
                .unprocessableContent,
                "An import holds endpoints only; global settings (circuit_breaker, health_check, proxy, tls, log_level) belong in the config file"
            )
        }
        let counts = "\(document.endpoints.count) endpoint\(document.endpoints.count == 1 ? "" : "s")"
        let result = try await services.registry.importEndpoints(
            document.endpoints, prune: prune, dryRun: dryRun,
            cause: "api: import \(counts)" + (prune ? " (prune)" : ""))
        return JSONResponse(result)
    }
}
