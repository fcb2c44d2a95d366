// A report holds a pair of histograms for every endpoint with traffic: tens of thousands of
// values at 10,000 endpoints, which the control plane reads from each replica every few seconds.

extension EndpointTraffic: NodeDecodable {
    package init(node value: ConfigValue, path: NodePath) throws {
        let object = try NodeObject(value, path: path)
        self.init(
            endpoint: try object.string(CodingKeys.endpoint.rawValue),
            responses: try object.intsByName(CodingKeys.responses.rawValue),
            requestDuration: try object.decode(LatencyHistogram.self, CodingKeys.requestDuration.rawValue),
            upstreamDuration: try object.decode(LatencyHistogram.self, CodingKeys.upstreamDuration.rawValue),
            upstreamErrors: try object.intsByName(CodingKeys.upstreamErrors.rawValue),
            breakerTransitions: try object.int(CodingKeys.breakerTransitions.rawValue),
            retries: try object.optionalIntsByName(CodingKeys.retries.rawValue),
            retryBudgetExhausted: try object.optionalInt(CodingKeys.retryBudgetExhausted.rawValue),
            rateLimited: try object.optionalInt(CodingKeys.rateLimited.rawValue))
    }
}

extension LatencyHistogram: NodeDecodable {
    package init(node value: ConfigValue, path: NodePath) throws {
        let object = try NodeObject(value, path: path)
        self.init(buckets: try object.ints("buckets"), sum: try object.double("sum"), count: try object.int("count"))
    }
}
