import NIOHTTP1
import Shared

/// Decides what to do with a request head: answer it from the gateway or forward it to an
/// endpoint. Pure: the route table comes in, a decision comes out.
package enum RequestPlanner {
    /// Where a forwarded request goes.
    package struct Forward: Sendable {
        package var route: RouteTable.Route
        /// The raw sub-path after the endpoint's segments, without its leading `/`.
        package var rest: Substring?
        /// The client's raw query, without `?`.
        package var query: Substring?
        package var endpointID: String { route.name }
        /// Seconds the upstream has to deliver the response head.
        package var timeoutSeconds: Int { route.timeoutSeconds }

        /// Origin-form request target on an upstream with base URL `url`: base path + sub-path +
        /// merged query.
        package func target(on url: EndpointURL) -> String { url.target(rest: rest, query: query) }
    }

    package enum Decision: Sendable {
        /// Answer with a gateway response; `endpointID` when an endpoint was matched.
        case respond(GatewayResponse, endpointID: String?)
        case forward(Forward)
        /// The proxy's own `GET /health`.
        case health
    }

    static let prefix = "/orchestrator"

    /// Plans a request. `routes` is `nil` until the first snapshot arrives.
    package static func plan(method: HTTPMethod, uri: String, routes: RouteTable?) -> Decision {
        // Byte-wise, not by `Character`: this runs for every request.
        let (path, query) = split(uri)
        if path.utf8.elementsEqual("/health".utf8) && (method == .GET || method == .HEAD) { return .health }

        guard path.utf8.starts(with: prefix.utf8) else { return notFound(path) }
        let afterPrefix = path.utf8.dropFirst(prefix.utf8.count)
        guard afterPrefix.isEmpty || afterPrefix.first == UInt8(ascii: "/") else { return notFound(path) }
        let restStart = afterPrefix.firstIndex { $0 != UInt8(ascii: "/") } ?? path.endIndex
        let rest = path[restStart...]
        guard let routes else {
            return .respond(
                .detail(.serviceUnavailable, "No routing snapshot loaded yet", reason: .noSnapshot), endpointID: nil)
        }

        switch routes.resolve(rest) {
        case .rejected(let reason):
            return .respond(.detail(.badRequest, reason, reason: .badRequest), endpointID: nil)
        case .notFound:
            return notFound(rest)
        case .matched(let route, let subPath):
            // The route's copies first: the endpoint's own storage only for an answer.
            if !route.allows(method: method.rawValue) {
                let allowed = route.endpoint.config.methods.joined(separator: ", ")
                let response = GatewayResponse.detail(
                    .methodNotAllowed, "Method \(method.rawValue) not allowed. Allowed: \(allowed)",
                    headers: [("allow", allowed)], reason: .method)
                return .respond(response, endpointID: route.name)
            }
            if !route.takesTraffic, let (blocked, reason) = unavailability(of: route.endpoint) {
                return .respond(.detail(.serviceUnavailable, blocked, reason: reason), endpointID: route.name)
            }
            return .forward(Forward(route: route, rest: subPath, query: query))
        }
    }

    /// Why an endpoint must not receive traffic, as the 503 detail and its access-log reason;
    /// `nil` when it may.
    package static func unavailability(of endpoint: SnapshotEndpoint) -> (String, ResponseReason)? {
        if endpoint.config.disabled || endpoint.status == .disabled { return ("Endpoint is disabled", .disabled) }
        if endpoint.status == .inactive { return ("Endpoint is inactive", .inactive) }
        if endpoint.status == .unhealthy || endpoint.health == .unhealthy {
            return ("Endpoint is unhealthy", .unhealthy)
        }
        return nil
    }

    /// The path and the raw query (without `?`; `nil` when the URI has no `?`).
    static func split(_ uri: String) -> (path: Substring, query: Substring?) {
        let whole = Substring(uri)
        guard let mark = whole.utf8.firstIndex(of: UInt8(ascii: "?")) else { return (whole, nil) }
        return (whole[..<mark], whole[whole.utf8.index(after: mark)...])
    }

    static func notFound(_ path: Substring) -> Decision {
        .respond(
            .detail(.notFound, "No endpoint found for path: \(PathSegment.percentDecoded(path))", reason: .noRoute),
            endpointID: nil)
    }
}
