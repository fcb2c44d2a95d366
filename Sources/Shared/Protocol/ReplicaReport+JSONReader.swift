import Foundation

// A replica's report holds every endpoint's traffic and breaker: hundreds of thousands of values
// at 10,000 endpoints, which the control plane reads from each replica every few seconds. It reads
// them with ``JSONReader``, straight into these types; each reads what its `Decodable`
// conformance reads (`NodeDecoder`'s, for the ``NodeDecodable`` ones) and refuses what it refuses.

extension DataPlaneMessage {
    /// The message in `bytes`. A report is read with ``JSONReader``; any other message, and any
    /// report the reader refuses, goes through `NodeDecoder`, whose answer (or error) stands.
    public static func decode(fromJSON bytes: UnsafeRawBufferPointer) throws -> DataPlaneMessage {
        if let report = try? readReport(bytes) { return .report(report) }
        return try NodeDecoder.decode(DataPlaneMessage.self, fromJSON: Data(bytes))
    }

    /// The report in a `report` message; `nil` for another message.
    package static func readReport(_ bytes: UnsafeRawBufferPointer) throws(JSONReader.Failure) -> ReplicaReport? {
        var reader = JSONReader(bytes)
        var type: String?
        var report: ReplicaReport?
        try reader.readObject { reader, key throws(JSONReader.Failure) in
            switch key {
            case CodingKeys.type.rawValue:
                type = try reader.string()
                return 0
            case CodingKeys.report.rawValue:
                report = try ReplicaReport(reading: &reader)
                return 1
            default: return nil
            }
        }
        try reader.finish()
        guard type == "report" else { return nil }
        return try reader.required(report, CodingKeys.report.rawValue)
    }
}

extension ReplicaReport {
    init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        self.init()
        try reader.readObject { reader, key throws(JSONReader.Failure) in
            switch key {
            case CodingKeys.requests.rawValue:
                requests = try reader.readNull() ? nil : try reader.int()
                return 0
            case CodingKeys.draining.rawValue:
                draining = try reader.readNull() ? nil : try reader.bool()
                return 1
            case CodingKeys.breakers.rawValue:
                breakers =
                    try reader.readNull()
                    ? nil : try reader.list { reader throws(JSONReader.Failure) in try BreakerReport(reading: &reader) }
                return 2
            case CodingKeys.traffic.rawValue:
                traffic = try reader.readNull() ? nil : try TrafficReport(reading: &reader)
                return 3
            case CodingKeys.healthSeq.rawValue:
                healthSeq = try reader.readNull() ? nil : try reader.int()
                return 4
            default: return nil
            }
        }
    }
}

extension BreakerReport {
    init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        var endpoint: String?
        var state: String?
        var failureCount: Int?
        var lastFailureTime: String?
        var lastSuccessTime: String?
        var stateChangedTime: String?
        var halfOpenCalls: Int?
        var rejected: Int?
        var transitions: Int?
        var failureThreshold: Int?
        var resetTimeout: Double?
        var halfOpenMaxCalls: Int?
        var upstreams: [UpstreamBreakerReport]?
        try reader.readObject { reader, key throws(JSONReader.Failure) in
            switch key {
            case CodingKeys.endpoint.rawValue:
                endpoint = try reader.string()
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
            case CodingKeys.lastSuccessTime.rawValue:
                lastSuccessTime = try reader.readNull() ? nil : try reader.string()
                return 4
            case CodingKeys.stateChangedTime.rawValue:
                stateChangedTime = try reader.string()
                return 5
            case CodingKeys.halfOpenCalls.rawValue:
                halfOpenCalls = try reader.int()
                return 6
            case CodingKeys.rejected.rawValue:
                rejected = try reader.int()
                return 7
            case CodingKeys.transitions.rawValue:
                transitions = try reader.int()
                return 8
            case CodingKeys.failureThreshold.rawValue:
                failureThreshold = try reader.int()
                return 9
            case CodingKeys.resetTimeout.rawValue:
                resetTimeout = try reader.double()
                return 10
            case CodingKeys.halfOpenMaxCalls.rawValue:
                halfOpenMaxCalls = try reader.int()
                return 11
            case CodingKeys.upstreams.rawValue:
                upstreams =
                    try reader.readNull()
                    ? nil
                    : try reader.list { reader throws(JSONReader.Failure) in
                        try UpstreamBreakerReport(reading: &reader)
                    }
                return 12
            default: return nil
            }
        }
        self.init(
            endpoint: try reader.required(endpoint, CodingKeys.endpoint.rawValue),
            state: try reader.required(state, CodingKeys.state.rawValue),
            failureCount: try reader.required(failureCount, CodingKeys.failureCount.rawValue),
            lastFailureTime: lastFailureTime, lastSuccessTime: lastSuccessTime,
            stateChangedTime: try reader.required(stateChangedTime, CodingKeys.stateChangedTime.rawValue),
            halfOpenCalls: try reader.required(halfOpenCalls, CodingKeys.halfOpenCalls.rawValue),
            rejected: try reader.required(rejected, CodingKeys.rejected.rawValue),
            transitions: try reader.required(transitions, CodingKeys.transitions.rawValue),
            failureThreshold: try reader.required(failureThreshold, CodingKeys.failureThreshold.rawValue),
            resetTimeout: try reader.required(resetTimeout, CodingKeys.resetTimeout.rawValue),
            halfOpenMaxCalls: try reader.required(halfOpenMaxCalls, CodingKeys.halfOpenMaxCalls.rawValue),
            upstreams: upstreams)
    }
}
