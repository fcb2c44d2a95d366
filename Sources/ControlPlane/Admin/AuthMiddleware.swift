import Hummingbird

/// Requires `Authorization: Bearer <token>` on every route but the public ones (`GET /health`,
/// the API docs, the status page's login). The status page (`/status`, `/status/data`) also
/// accepts the cookie its login sets; `GET /status` without either answers the login form.
struct AuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String
    let session: StatusSession

    init(token: String, session: StatusSession = StatusSession()) {
        self.token = token
        self.session = session
    }

    /// Routes anyone on the admin address may call.
    static func isPublic(_ method: HTTPRequest.Method, _ path: String) -> Bool {
        switch (method, path) {
        case (.get, "/health"), (.get, "/docs"), (.get, "/openapi.json"), (.post, StatusRoutes.loginPath): true
        default: false
        }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let path = request.uri.path
        if Self.isPublic(request.method, path) || hasBearerToken(request) {
            return try await next(request, context)
        }
        if path == StatusRoutes.pagePath || path == StatusRoutes.dataPath {
            if session.accepts(cookieHeader: request.headers[.cookie]) { return try await next(request, context) }
            if path == StatusRoutes.pagePath && request.method == .get {
                return StatusPages.login(message: nil)
            }
        }
        throw APIError(.unauthorized, "Missing or invalid bearer token", headers: [.wwwAuthenticate: "Bearer"])
    }

    func hasBearerToken(_ request: Request) -> Bool {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else { return false }
        return ConstantTime.equal(Array(header.utf8.dropFirst(7)), Array(token.utf8))
    }
}

/// Secret comparison without an early exit, so timing does not reveal how much of a guess was right.
enum ConstantTime {
    static func equal(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: lhs.count ^ rhs.count)
        for index in 0..<max(lhs.count, rhs.count) {
            let left = index < lhs.count ? lhs[index] : 0
            let right = index < rhs.count ? rhs[index] : 0
            difference |= left ^ right
        }
        return difference == 0
    }
}
