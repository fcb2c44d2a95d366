import AdminAPI
import Foundation
import Hummingbird
import NIOConcurrencyHelpers
import Shared

/// `/status`: a live page of replicas, endpoints, last-minute traffic and the last config
/// reload, its data as JSON, and its login form (token in, cookie out).
struct StatusRoutes {
    static let pagePath = "/status"
    static let dataPath = "/status/data"
    static let loginPath = "/status/login"

    let services: AdminServices
    let token: String
    let session: StatusSession
    let sampler: TrafficSampler
    /// Wrong tokens allowed at the login form (see ``LoginThrottle``).
    let throttle = NIOLockedValueBox(LoginThrottle(now: .now))

    func register(on router: Router<BasicRequestContext>) {
        router.get("status", use: page)
        router.get("status/data", use: data)
        router.post("status/login", use: login)
    }

    @Sendable func page(_ request: Request, context: BasicRequestContext) async throws -> Response {
        StatusPages.html(StatusPages.page)
    }

    @Sendable func data(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<StatusData> {
        JSONResponse(try await StatusData.gather(services: services, sampler: sampler))
    }

    /// Checks the form's `token`; on success sets the session cookie and sends the browser to the
    /// page. After too many wrong tokens, answers 429 without checking until the throttle allows.
    @Sendable func login(_ request: Request, context: BasicRequestContext) async throws -> Response {
        if case .refuse(let retryAfter) = throttle.withLockedValue({ $0.attempt(now: .now) }) {
            let seconds = max(1, Int((retryAfter / .seconds(1)).rounded(.up)))
            var response = StatusPages.login(
                message: "Too many wrong tokens: try again in \(seconds) s.", status: .tooManyRequests)
            response.headers[.retryAfter] = String(seconds)
            return response
        }
        let form = try await request.textBody()
        guard let given = Self.formValue("token", in: form),
            ConstantTime.equal(Array(given.utf8), Array(token.utf8))
        else {
            throttle.withLockedValue { $0.failed(now: .now) }
            return StatusPages.login(message: "Wrong token: use the admin token (data/admin.token).")
        }
        return Response(
            status: .seeOther,
            headers: [.location: Self.pagePath, .setCookie: session.setCookie, .cacheControl: "no-store"])
    }

    /// The value of `name` in an `application/x-www-form-urlencoded` body.
    static func formValue(_ name: String, in form: String) -> String? {
        for pair in form.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            guard key == name else { continue }
            let value = parts.count > 1 ? String(parts[1]) : ""
            return value.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
        }
        return nil
    }
}
