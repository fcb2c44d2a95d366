import Hummingbird
import Logging

/// Gives every error the original's `{"detail": ...}` shape: domain errors answer for themselves
/// (``AdminErrorResponse``), framework errors (unknown route, body too large) keep their status,
/// and anything unexpected becomes 500 without internals.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as any AdminErrorResponse {
            throw error
        } catch let error as HTTPError {
            let detail: String
            switch error.status {
            case .notFound: detail = "Not Found"
            case .methodNotAllowed: detail = "Method Not Allowed"
            case .contentTooLarge: detail = "Request body is too large"
            default: detail = error.body ?? error.status.reasonPhrase
            }
            throw APIError(error.status, detail, headers: error.headers)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw APIError(.contentTooLarge, "Request body is too large (limit 1 MiB)")
        } catch {
            logger.error("admin request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            throw APIError(.internalServerError, "Internal server error")
        }
    }
}
