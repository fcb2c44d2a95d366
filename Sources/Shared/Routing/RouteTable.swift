/// An immutable table from `/orchestrator/...` paths to endpoints, built from a snapshot.
/// Matching is by whole path segment: `/{name}/{rest}` or `/{version}/{name}/{rest}`, the
/// versioned form first (so `/v1/b/x` reaches endpoint `b` at version `v1` even if an endpoint
/// is named `v1`).
public struct RouteTable: Sendable {
    /// One routable endpoint with its parsed base URL.
    public struct Route: Sendable {
        public let endpoint: SnapshotEndpoint
        public let url: EndpointURL
        /// The endpoint's breaker policy's failure statuses, parsed once per snapshot.
        public let failureStatuses: StatusCodeSet

        public init(endpoint: SnapshotEndpoint, url: EndpointURL) {
            self.endpoint = endpoint
            self.url = url
            self.failureStatuses = endpoint.circuitBreaker.failureStatusSet
        }
    }

    /// The outcome of resolving a path.
    public enum Resolution: Sendable {
        /// `rest` is the raw sub-path after the endpoint's segments, without its leading `/`;
        /// `nil` when the path ends at the endpoint (`/orchestrator/svc`).
        case matched(Route, rest: Substring?)
        case notFound
        /// The path is not acceptable (dot segments); the text says why.
        case rejected(String)
    }

    public let routes: [String: Route]
    /// Endpoint names in snapshot order.
    public let order: [String]

    public init(_ endpoints: [SnapshotEndpoint]) {
        var routes: [String: Route] = [:]
        var order: [String] = []
        for endpoint in endpoints {
            guard let url = endpoint.config.endpointURL else { continue }
            routes[endpoint.name] = Route(endpoint: endpoint, url: url)
            order.append(endpoint.name)
        }
        self.routes = routes
        self.order = order
    }

    /// The route patterns, as listed by `/router/routes`: `/name` and, with a version, `/version/name`.
    public var patterns: [(pattern: String, route: Route)] {
        order.flatMap { name -> [(pattern: String, route: Route)] in
            guard let route = routes[name] else { return [] }
            var list = [(pattern: "/\(name)", route: route)]
            if let version = route.endpoint.config.version {
                list.append((pattern: "/\(version)/\(name)", route: route))
            }
            return list
        }
    }

    /// Resolves the raw path after `/orchestrator/` (no query string).
    public func resolve(_ path: Substring) -> Resolution {
        var trimmed = path
        while trimmed.first == "/" { trimmed = trimmed.dropFirst() }
        if trimmed.split(separator: "/", omittingEmptySubsequences: true).contains(where: {
            PathSegment.isDotSegment($0)
        }) {
            return .rejected("Path must not contain '.' or '..' segments")
        }
        let parts = trimmed.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        guard let first = parts.first, !first.isEmpty else { return .notFound }
        if parts.count >= 2 {
            if let route = routes[PathSegment.percentDecoded(parts[1])],
                let version = route.endpoint.config.version, version == PathSegment.percentDecoded(first)
            {
                return .matched(route, rest: parts.count == 3 ? parts[2] : nil)
            }
        }
        if let route = routes[PathSegment.percentDecoded(first)] {
            let afterName = trimmed.dropFirst(first.count)
            return .matched(route, rest: afterName.isEmpty ? nil : afterName.dropFirst())
        }
        return .notFound
    }
}
