import Foundation
import Testing

@testable import Shared

@Suite struct NodeDecoderTests {
    static let messages: [DataPlaneMessage] = [
        .hello(.init(replicaId: "r1", pid: 42, version: nil, supervised: true, slot: "0", deltas: true)),
        .hello(.init(replicaId: "r2", pid: 43, version: 3, softwareVersion: nil)),
        .heartbeat(.init(version: 9, checksum: "0123456789abcdef")),
        .heartbeat(.init(version: nil, checksum: nil)),
        .ack(version: 7),
        .nack(version: 8, error: "checksum \"mismatch\"\n"),
        .report(
            ReplicaReport(
                requests: 1_000, draining: false,
                breakers: [
                    BreakerReport(
                        endpoint: "svc", state: "open", failureCount: 5, lastFailureTime: "2026-12-02T10:00:00Z",
                        lastSuccessTime: nil, stateChangedTime: "2026-12-02T10:00:01Z", halfOpenCalls: 0, rejected: 3,
                        transitions: 1, failureThreshold: 5, resetTimeout: 30.5, halfOpenMaxCalls: 1),
                    BreakerReport(
                        endpoint: "pool", state: "closed", failureCount: 0, lastFailureTime: nil, lastSuccessTime: nil,
                        stateChangedTime: "2026-12-02T10:00:01Z", halfOpenCalls: 0, rejected: 0, transitions: 0,
                        failureThreshold: 5, resetTimeout: 30, halfOpenMaxCalls: 1,
                        upstreams: [
                            UpstreamBreakerReport(
                                url: "http://a:1/x", state: "open", failureCount: 5,
                                lastFailureTime: "2026-12-02T10:00:00Z", stateChangedTime: "2026-12-02T10:00:01Z",
                                rejected: 2, transitions: 1, inFlight: 0, requests: 40, errors: 5),
                            UpstreamBreakerReport(
                                url: "http://b:2/", state: "closed", failureCount: 0, lastFailureTime: nil,
                                stateChangedTime: "2026-12-02T10:00:01Z", rejected: 0, transitions: 0, inFlight: 3,
                                requests: 41, errors: 0),
                        ]),
                ],
                traffic: TrafficReport(
                    endpoints: [
                        EndpointTraffic(
                            endpoint: "svc", responses: ["2xx": 990, "5xx": 10],
                            requestDuration: LatencyHistogram(
                                buckets: [1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4], sum: 0.125, count: 10),
                            upstreamErrors: ["connect": 2], breakerTransitions: 1),
                        EndpointTraffic(
                            endpoint: "pool", retries: ["connect": 4, "status": 1], retryBudgetExhausted: 2,
                            rateLimited: 7),
                    ],
                    activeConnections: 3, pooledConnections: 2, openTunnels: 1, accessLogDropped: nil,
                    requestsByProtocol: [ProtocolTraffic(protocol: "h2", tls: true, requests: 12)]),
                healthSeq: 9)),
        .report(ReplicaReport(requests: 1)),
    ]

    @Test func everyMessageAReplicaSendsDecodesAsJSONDecoderDecodesIt() throws {
        for message in Self.messages {
            let data = try JSONEncoder().encode(message)
            let viaNodes = try NodeDecoder.decode(DataPlaneMessage.self, fromJSON: data)
            #expect(viaNodes == message)
            #expect(viaNodes == (try JSONDecoder().decode(DataPlaneMessage.self, from: data)))
        }
    }

    @Test func anAbsentOrNullOptionalIsNilAndAnUnknownKeyIsIgnored() throws {
        let json = #"{"type": "report", "report": {"requests": 4, "draining": null, "extra": [1, {"x": 2}]}}"#
        #expect(
            try NodeDecoder.decode(DataPlaneMessage.self, fromJSON: Data(json.utf8))
                == .report(ReplicaReport(requests: 4)))
    }

    @Test(arguments: [
        (#"{"type": "ack"}"#, "version"),
        (#"{"type": "ack", "version": "7"}"#, "version"),
        (#"{"type": "ack", "version": 7.5}"#, "version"),
        (#"{"type": "ack", "version": 1e30}"#, "version"),
        (#"{"type": "ack", "version": 7, "version": 8}"#, "duplicate key"),
        (#"{"type": "report", "report": {"breakers": {}}}"#, "breakers"),
        (#"{"type": "report", "report": {"traffic": {"endpoints": [1]}}}"#, "endpoints"),
        (#"[1]"#, "Dictionary"),
        (Self.traffic(#"{"buckets": [1], "sum": 0}"#), "count"),
        (Self.traffic(#"{"buckets": ["1"], "sum": 0, "count": 1}"#), "buckets"),
        (Self.traffic(#"{"buckets": [], "sum": "0", "count": 1}"#), "sum"),
        (Self.traffic(#"{"buckets": [], "sum": 0, "count": 1, "count": 2}"#), "duplicate key"),
        (Self.traffic(#"[]"#), "object"),
        (#"{"type": "report", "report": {"breakers": [{"endpoint": "a", "state": "open"}]}}"#, "failure_count"),
        (Self.breaker(#""last_failure_time": 5"#), "last_failure_time"),
        (Self.breaker(#""reset_timeout": "30""#), "reset_timeout"),
        (#"{"type": "ack", "version": 7"#, "invalid JSON"),
    ])
    func malformedMessagesAreDecodingErrorsThatSayWhere(_ json: String, _ mentioned: String) {
        let error = #expect(throws: DecodingError.self) {
            try NodeDecoder.decode(DataPlaneMessage.self, fromJSON: Data(json.utf8))
        }
        #expect("\(error.map { String(describing: $0) } ?? "")".contains(mentioned))
    }

    /// A report whose one endpoint has `histogram` as its request duration.
    private static func traffic(_ histogram: String) -> String {
        let valid = #"{"buckets": [], "sum": 0, "count": 0}"#
        return #"{"type": "report", "report": {"traffic": {"active_connections": 0, "pooled_connections": 0, "#
            + #""endpoints": [{"endpoint": "a", "responses": {}, "upstream_errors": {}, "breaker_transitions": 0, "#
            + #""upstream_duration": \#(valid), "request_duration": \#(histogram)}]}}}"#
    }

    /// A report whose one breaker has `field` besides its required ones.
    private static func breaker(_ field: String) -> String {
        #"{"type": "report", "report": {"breakers": [{"endpoint": "a", "state": "open", "failure_count": 1, "#
            + #""state_changed_time": "t", "half_open_calls": 0, "rejected": 0, "transitions": 1, "#
            + #""failure_threshold": 5, "half_open_max_calls": 1, \#(field)"#
            + (field.contains("reset_timeout") ? "" : #", "reset_timeout": 30"#) + "}]}}"
    }

    @Test func aBreakerWithoutItsOptionalTimesOrWithNullOnesDecodes() throws {
        for times in ["", #", "last_failure_time": null, "last_success_time": null"#] {
            let json = Self.breaker(#""last_failure_time": null"#).replacingOccurrences(
                of: #", "last_failure_time": null"#, with: times)
            guard case .report(let report) = try NodeDecoder.decode(DataPlaneMessage.self, fromJSON: Data(json.utf8))
            else {
                Issue.record("not a report")
                return
            }
            #expect(report.breakers?.first?.lastFailureTime == nil)
            #expect(report.breakers?.first?.resetTimeout == 30)
        }
    }

    /// A health update may name 100,000 endpoints: each key is found without a scan.
    @Test func aLargeDictionaryDecodesEveryEntry() throws {
        let names = (0..<100_000).map { "endpoint-\($0)" }.shuffled()
        let json = "{" + names.map { #""\#($0)": "unhealthy""# }.joined(separator: ",") + "}"
        let decoded = try NodeDecoder.decode([String: EndpointHealth].self, fromJSON: Data(json.utf8))
        #expect(decoded.count == 100_000)
        #expect(decoded["endpoint-99999"] == .unhealthy)
    }

    @Test func integersMustFitTheirType() throws {
        struct Small: Decodable { var value: UInt8 }
        #expect(try NodeDecoder.decode(Small.self, fromJSON: Data(#"{"value": 255}"#.utf8)).value == 255)
        #expect(throws: DecodingError.self) {
            try NodeDecoder.decode(Small.self, fromJSON: Data(#"{"value": 256}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try NodeDecoder.decode(Small.self, fromJSON: Data(#"{"value": -1}"#.utf8))
        }
    }
}
