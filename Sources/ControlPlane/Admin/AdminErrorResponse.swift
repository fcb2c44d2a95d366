import Hummingbird

/// An error the admin API answers in its `{"detail": ...}` shape. Each domain error says once,
/// here, which status and detail it becomes; a route only throws it. ``ErrorMiddleware`` passes
/// these through and gives everything else the same shape.
package protocol AdminErrorResponse: HTTPResponseError {
    /// The answer this error becomes.
    var apiError: APIError { get }
}

extension AdminErrorResponse {
    package var status: HTTPResponse.Status { apiError.status }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        try apiError.response(from: request, context: context)
    }
}

extension APIError: AdminErrorResponse {
    package var apiError: APIError { self }
}

extension RegistryError: AdminErrorResponse {
    /// 404 unknown endpoint, 400 conflicting name or URL, 409 owned by the config file, 422 not
    /// acceptable as it stands.
    package var apiError: APIError {
        switch kind {
        case .notFound: APIError(.notFound, description)
        case .conflict: APIError(.badRequest, description)
        case .ownedByFile: APIError(.conflict, description)
        case .invalid: APIError(.unprocessableContent, description)
        case .notLeader: APIError(.conflict, description)
        }
    }
}

extension RolloutRefusal: AdminErrorResponse {
    /// 409 when there is nothing to roll or a rollout runs, 503 while shutting down.
    package var apiError: APIError {
        switch self {
        case .notSupervising:
            APIError(.conflict, "This control plane supervises no data-plane replicas (started with --replicas 0)")
        case .alreadyRunning: APIError(.conflict, "A rollout is already running")
        case .stopping: APIError(.serviceUnavailable, "The control plane is shutting down")
        }
    }
}

extension StoreUnavailable: AdminErrorResponse {
    /// 503 with `Retry-After`: the shared database does not answer; the change was not acknowledged.
    package var apiError: APIError {
        APIError(
            .serviceUnavailable,
            "The database is unavailable (\(reason)); no change is acknowledged until it answers. Try again shortly",
            headers: [.retryAfter: "1"])
    }
}

extension LeaderLease.LeaseError: AdminErrorResponse {
    /// 503: a leader-only change while this control plane lost the lease; nothing was changed.
    package var apiError: APIError {
        APIError(
            .serviceUnavailable, "This control plane no longer leads the cluster; nothing was changed",
            headers: [.retryAfter: "1"])
    }
}
