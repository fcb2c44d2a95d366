/// One instance of an endpoint's upstream pool (`upstreams: [{url, weight}]`).
public struct UpstreamConfig: Sendable, Equatable, Hashable, Codable {
    /// The normalised base URL text; like an endpoint's `url`, it keeps its own base path and query.
    public var url: String
    /// The instance's share of the traffic relative to the pool's other instances, 1-100.
    public var weight: Int

    public init(url: String, weight: Int = 1) {
        self.url = url
        self.weight = weight
    }

    /// The most instances one endpoint may have.
    public static let maximumCount = 64
    public static let weights = 1...100
    static let allowedKeys: Set<String> = ["url", "weight"]

    /// Reads one `{url, weight}` entry, reporting each problem against `path`.
    static func read(_ node: ConfigNode, path: String, context: ValidationContext) -> UpstreamConfig? {
        guard let reader = ObjectReader(node, path: path, allowedKeys: allowedKeys, context: context) else {
            return nil
        }
        let before = context.issues.count
        var url: String?
        if let text = reader.string("url") {
            switch EndpointURL.parse(text) {
            case .success(let parsed): url = parsed.description
            case .failure(let error): reader.fail("url", error.description)
            }
        } else if !reader.has("url") {
            reader.requireMissing("url")
        }
        let weight = reader.integer("weight", in: weights) ?? 1
        guard let url, context.issues.count == before else { return nil }
        return UpstreamConfig(url: url, weight: weight)
    }
}

/// How an endpoint with several upstreams spreads its requests over them.
public enum LoadBalancing: String, Sendable, Codable, CaseIterable {
    /// Smooth weighted round robin (nginx's): weights 5, 1, 1 give a a b a c a a.
    case roundRobin = "round_robin"
    /// Power of two choices: of two instances picked at random, the one with fewer requests in
    /// flight for its weight.
    case leastRequest = "least_request"
    /// Weighted random.
    case random
}
