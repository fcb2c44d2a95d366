import Hummingbird

/// `/openapi.json` (the document kept in `Resources/openapi.json`, the one description of the
/// admin API) and `/docs`, a page rendering it without any external asset. Both are public:
/// they describe the API but expose no state.
struct DocsRoutes {
    func register(on router: Router<BasicRequestContext>) {
        router.get("openapi.json", use: document)
        router.get("docs", use: page)
    }

    static let documentBytes = PackageResources.openapi_json

    @Sendable func document(_ request: Request, context: BasicRequestContext) async throws -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: Self.documentBytes)))
    }

    @Sendable func page(_ request: Request, context: BasicRequestContext) async throws -> Response {
        StatusPages.html(String(decoding: PackageResources.docs_html, as: UTF8.self))
    }
}
