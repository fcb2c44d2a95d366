/// An immutable table from `/orchestrator/...` paths to endpoints, built from a snapshot.
/// Matching is by whole path segment: `/{name}/{rest}` or `/{version}/{name}/{rest}`, the
/// versioned form first (so `/v1/b/x` reaches endpoint `b` at version `v1` even if an endpoint
/// is named `v1`).
public struct RouteTable: Sendable {
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
    /// Endpoint names by slot: snapshot order for a table built whole; `nil` for a slot an
    /// update freed (given to the next endpoint an update adds).
    public let slots: [String?]
    private let freeSlots: [Int]
    /// How many routes have a version: with none, resolving skips the versioned form's lookup
    /// (a miss in a table of 10,000 names costs as much as the hit).
    private let versionedCount: Int

    public init(_ endpoints: [SnapshotEndpoint]) {
        var routes: [String: Route] = [:]
        routes.reserveCapacity(endpoints.count)
        var slots: [String?] = []
        var versionedCount = 0
        for endpoint in endpoints {
            guard let url = endpoint.config.endpointURL else { continue }
            let replaced = routes.updateValue(
                Route(endpoint: endpoint, url: url, slot: slots.count), forKey: endpoint.name)
            if replaced?.endpoint.config.version != nil { versionedCount -= 1 }
            if endpoint.config.version != nil { versionedCount += 1 }
            slots.append(endpoint.name)
        }
        self.routes = routes
        self.slots = slots
        self.freeSlots = []
        self.versionedCount = versionedCount
    }

    private init(routes: [String: Route], slots: [String?], freeSlots: [Int], versionedCount: Int) {
        self.routes = routes
        self.slots = slots
        self.freeSlots = freeSlots
        self.versionedCount = versionedCount
    }

    /// This table with `endpoints` added or replaced and the endpoints named in `removals`
    /// removed: work in proportion to the change, the other routes kept as they are (their
    /// parsed URLs and slots included). A replaced endpoint keeps its slot, and its parsed URL
    /// when the URL did not change.
    public func updated(
        upserting endpoints: some Sequence<SnapshotEndpoint>, removing removals: some Sequence<String>
    ) -> RouteTable {
        var routes = self.routes
        var slots = self.slots
        var free = freeSlots
        var versionedCount = self.versionedCount
        func release(_ name: String) {
            guard let route = routes.removeValue(forKey: name) else { return }
            slots[route.slot] = nil
            free.append(route.slot)
            if route.endpoint.config.version != nil { versionedCount -= 1 }
        }
        for name in removals { release(name) }
        for endpoint in endpoints {
            let existing = routes[endpoint.name]
            let url: EndpointURL
            if let existing, existing.endpoint.config.url == endpoint.config.url {
                url = existing.url
            } else if let parsed = endpoint.config.endpointURL {
                url = parsed
            } else {
                release(endpoint.name)
                continue
            }
            let slot: Int
            if let existing {
                slot = existing.slot
            } else if let reused = free.popLast() {
                slot = reused
            } else {
                slot = slots.count
                slots.append(nil)
            }
            if existing?.endpoint.config.version != nil { versionedCount -= 1 }
            if endpoint.config.version != nil { versionedCount += 1 }
            routes[endpoint.name] = Route(endpoint: endpoint, url: url, slot: slot)
            slots[slot] = endpoint.name
        }
        return RouteTable(routes: routes, slots: slots, freeSlots: free, versionedCount: versionedCount)
    }

    /// The route patterns, as listed by `/router/routes`: `/name` and, with a version,
    /// `/version/name`, in slot order.
    public var patterns: [(pattern: String, route: Route)] {
        slots.flatMap { name -> [(pattern: String, route: Route)] in
            guard let name, let route = routes[name] else { return [] }
            var list = [(pattern: "/\(name)", route: route)]
            if let version = route.endpoint.config.version {
                list.append((pattern: "/\(version)/\(name)", route: route))
            }
            return list
        }
    }

    /// Resolves the raw path after `/orchestrator/` (no query string). One walk over the bytes,
    /// with no intermediate arrays: this runs for every proxied request.
    public func resolve(_ path: Substring) -> Resolution {
        let trimmed = path[(path.utf8.firstIndex { $0 != UInt8(ascii: "/") } ?? path.endIndex)...]
        let utf8 = trimmed.utf8
        // The ends of the first two segments (each at a "/"), found while checking every segment.
        var firstEnd: Substring.Index?
        var secondEnd: Substring.Index?
        var segmentStart = utf8.startIndex
        var index = utf8.startIndex
        while true {
            let atEnd = index == utf8.endIndex
            if atEnd || utf8[index] == UInt8(ascii: "/") {
                if index > segmentStart, PathSegment.isDotSegment(trimmed[segmentStart..<index]) {
                    return .rejected("Path must not contain '.' or '..' segments")
                }
                if !atEnd {
                    if firstEnd == nil {
                        firstEnd = index
                    } else if secondEnd == nil {
                        secondEnd = index
                    }
                }
                if atEnd { break }
                segmentStart = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        let first = trimmed[..<(firstEnd ?? trimmed.endIndex)]
        guard !first.isEmpty else { return .notFound }
        if versionedCount > 0, let firstEnd {
            let secondStart = utf8.index(after: firstEnd)
            let second = trimmed[secondStart..<(secondEnd ?? trimmed.endIndex)]
            if let route = routes[PathSegment.percentDecoded(second)],
                let version = route.endpoint.config.version, version == PathSegment.percentDecoded(first)
            {
                return .matched(route, rest: secondEnd.map { trimmed[utf8.index(after: $0)...] })
            }
        }
        if let route = routes[PathSegment.percentDecoded(first)] {
            return .matched(route, rest: firstEnd.map { trimmed[utf8.index(after: $0)...] })
        }
        return .notFound
    }
}
