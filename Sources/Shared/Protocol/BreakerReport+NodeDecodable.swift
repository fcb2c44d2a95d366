// A report lists every breaker a replica has: one per endpoint with traffic, tens of thousands of
// values at 10,000 endpoints.

extension BreakerReport: NodeDecodable {
    package init(node value: ConfigValue, path: NodePath) throws {
        let object = try NodeObject(value, path: path)
        self.init(
            endpoint: try object.string(CodingKeys.endpoint.rawValue),
            state: try object.string(CodingKeys.state.rawValue),
            failureCount: try object.int(CodingKeys.failureCount.rawValue),
            lastFailureTime: try object.optionalString(CodingKeys.lastFailureTime.rawValue),
            lastSuccessTime: try object.optionalString(CodingKeys.lastSuccessTime.rawValue),
            stateChangedTime: try object.string(CodingKeys.stateChangedTime.rawValue),
            halfOpenCalls: try object.int(CodingKeys.halfOpenCalls.rawValue),
            rejected: try object.int(CodingKeys.rejected.rawValue),
            transitions: try object.int(CodingKeys.transitions.rawValue),
            failureThreshold: try object.int(CodingKeys.failureThreshold.rawValue),
            resetTimeout: try object.double(CodingKeys.resetTimeout.rawValue),
            halfOpenMaxCalls: try object.int(CodingKeys.halfOpenMaxCalls.rawValue),
            upstreams: try object.optionalList(UpstreamBreakerReport.self, CodingKeys.upstreams.rawValue))
    }
}
