// The traffic part of a replica's report, read with ``JSONReader`` (see
// ReplicaReport+JSONReader.swift).

extension UpstreamBreakerReport {
    init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        var url: String?
        var state: String?
        var failureCount: Int?
        var lastFailureTime: String?
        var stateChangedTime: String?
        var rejected: Int?
        var transitions: Int?
        var inFlight: Int?
        var requests: Int?
        var errors: Int?
        try reader.readObject { reader, key throws(JSONReader.Failure) in
            switch key {
            case CodingKeys.url.rawValue:
                url = try reader.string()
                return 0
            case CodingKeys.state.rawValue:
                state = try reader.string()
                return 1
            case CodingKeys.failureCount.rawValue:
                failureCount = try reader.int()
                return 2
            case CodingKeys.lastFailureTime.rawValue:
                lastFailureTime = try reader.readNull() ? nil : try reader.string()
                return 3
            case CodingKeys.stateChangedTime.rawValue:
                stateChangedTime = try reader.string()
                return 4
            case CodingKeys.rejected.rawValue:
                rejected = try reader.int()
                return 5
            case CodingKeys.transitions.rawValue:
                transitions = try reader.int()
                return 6
            case CodingKeys.inFlight.rawValue:
                inFlight = try reader.int()
                return 7
            case CodingKeys.requests.rawValue:
                requests = try reader.int()
                return 8
            case CodingKeys.errors.rawValue:
                errors = try reader.int()
                return 9
            default: return nil
            }
        }
        self.init(
            url: try reader.required(url, CodingKeys.url.rawValue),
            state: try reader.required(state, CodingKeys.state.rawValue),
            failureCount: try reader.required(failureCount, CodingKeys.failureCount.rawValue),
            lastFailureTime: lastFailureTime,
            stateChangedTime: try reader.required(stateChangedTime, CodingKeys.stateChangedTime.rawValue),
            rejected: try reader.required(rejected, CodingKeys.rejected.rawValue),
            transitions: try reader.required(transitions, CodingKeys.transitions.rawValue),
            inFlight: try reader.required(inFlight, CodingKeys.inFlight.rawValue),
            requests: try reader.required(requests, CodingKeys.requests.rawValue),
            errors: try reader.required(errors, CodingKeys.errors.rawValue))
    }
}

extension TrafficReport {
    init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        var endpoints: [EndpointTraffic]?
        var activeConnections: Int?
        var pooledConnections: Int?
        var accessLogDropped: Int?
        var requestsByProtocol: [ProtocolTraffic]?
        var openTunnels: Int?
        try reader.readObject { reader, key throws(JSONReader.Failure) in
            switch key {
            case CodingKeys.endpoints.rawValue:
                endpoints = try reader.list { reader throws(JSONReader.Failure) in try EndpointTraffic(reading: &reader)
                }
                return 0
            case CodingKeys.activeConnections.rawValue:
                activeConnections = try reader.int()
                return 1
            case CodingKeys.pooledConnections.rawValue:
                pooledConnections = try reader.int()
                return 2
            case CodingKeys.accessLogDropped.rawValue:
                accessLogDropped = try reader.readNull() ? nil : try reader.int()
                return 3
            case CodingKeys.requestsByProtocol.rawValue:
                requestsByProtocol =
                    try reader.readNull()
                    ? nil
                    : try reader.list { reader throws(JSONReader.Failure) in try ProtocolTraffic(reading: &reader) }
                return 4
            case CodingKeys.openTunnels.rawValue:
                openTunnels = try reader.readNull() ? nil : try reader.int()
                return 5
            default: return nil
            }
        }
        self.init(
            endpoints: try reader.required(endpoints, CodingKeys.endpoints.rawValue),
            activeConnections: try reader.required(activeConnections, CodingKeys.activeConnections.rawValue),
            pooledConnections: try reader.required(pooledConnections, CodingKeys.pooledConnections.rawValue),
            openTunnels: openTunnels, accessLogDropped: accessLogDropped, requestsByProtocol: requestsByProtocol)
    }
}

extension ProtocolTraffic {
    init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        var name: String?
        var tls: Bool?
        var requests: Int?
        try reader.readObject { reader, key throws(JSONReader.Failure) in
            switch key {
            case "protocol":
                name = try reader.string()
                return 0
            case "tls":
                tls = try reader.bool()
                return 1
            case "requests":
                requests = try reader.int()
                return 2
            default: return nil
            }
        }
        self.init(
            protocol: try reader.required(name, "protocol"), tls: try reader.required(tls, "tls"),
            requests: try reader.required(requests, "requests"))
    }
}

extension EndpointTraffic {
    init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        var endpoint: String?
        var responses: [String: Int]?
        var requestDuration: LatencyHistogram?
        var upstreamDuration: LatencyHistogram?
        var upstreamErrors: [String: Int]?
        var breakerTransitions: Int?
        var retries: [String: Int]?
        var retryBudgetExhausted: Int?
        var rateLimited: Int?
        try reader.readObject { reader, key throws(JSONReader.Failure) in
            switch key {
            case CodingKeys.endpoint.rawValue:
                endpoint = try reader.string()
                return 0
            case CodingKeys.responses.rawValue:
                responses = try reader.intsByName()
                return 1
            case CodingKeys.requestDuration.rawValue:
                requestDuration = try LatencyHistogram(reading: &reader)
                return 2
            case CodingKeys.upstreamDuration.rawValue:
                upstreamDuration = try LatencyHistogram(reading: &reader)
                return 3
            case CodingKeys.upstreamErrors.rawValue:
                upstreamErrors = try reader.intsByName()
                return 4
            case CodingKeys.breakerTransitions.rawValue:
                breakerTransitions = try reader.int()
                return 5
            case CodingKeys.retries.rawValue:
                retries = try reader.readNull() ? nil : try reader.intsByName()
                return 6
            case CodingKeys.retryBudgetExhausted.rawValue:
                retryBudgetExhausted = try reader.readNull() ? nil : try reader.int()
                return 7
            case CodingKeys.rateLimited.rawValue:
                rateLimited = try reader.readNull() ? nil : try reader.int()
                return 8
            default: return nil
            }
        }
        self.init(
            endpoint: try reader.required(endpoint, CodingKeys.endpoint.rawValue),
            responses: try reader.required(responses, CodingKeys.responses.rawValue),
            requestDuration: try reader.required(requestDuration, CodingKeys.requestDuration.rawValue),
            upstreamDuration: try reader.required(upstreamDuration, CodingKeys.upstreamDuration.rawValue),
            upstreamErrors: try reader.required(upstreamErrors, CodingKeys.upstreamErrors.rawValue),
            breakerTransitions: try reader.required(breakerTransitions, CodingKeys.breakerTransitions.rawValue),
            retries: retries, retryBudgetExhausted: retryBudgetExhausted, rateLimited: rateLimited)
    }
}

extension LatencyHistogram {
    init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        var buckets: [Int]?
        var sum: Double?
        var count: Int?
        try reader.readObject { reader, key throws(JSONReader.Failure) in
            switch key {
            case "buckets":
                buckets = try reader.ints()
                return 0
            case "sum":
                sum = try reader.double()
                return 1
            case "count":
                count = try reader.int()
                return 2
            default: return nil
            }
        }
        self.init(
            buckets: try reader.required(buckets, "buckets"), sum: try reader.required(sum, "sum"),
            count: try reader.required(count, "count"))
    }
}
