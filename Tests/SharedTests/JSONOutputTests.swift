import Foundation
import Testing

@testable import Shared

/// Reports written straight into bytes read back as the messages they were, through the control
/// plane's reader and through `JSONDecoder`, and hold what `JSONEncoder` writes for them.
@Suite struct JSONOutputTests {
    static func decodesBack(_ message: DataPlaneMessage) throws {
        let written = Data(try message.encodedJSON())
        #expect(try NodeDecoder.decode(DataPlaneMessage.self, fromJSON: written) == message)
        #expect(try JSONDecoder().decode(DataPlaneMessage.self, from: written) == message)
        let ours = try JSONSerialization.jsonObject(with: written) as? NSDictionary
        let encoders = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(message)) as? NSDictionary
        #expect(ours != nil && ours == encoders, "\(String(decoding: written, as: UTF8.self))")
    }

    @Test func everyMessageAReplicaSendsReadsBackAsItWas() throws {
        for message in NodeDecoderTests.messages { try Self.decodesBack(message) }
    }

    @Test func namesWithQuotesEscapesControlCharactersAndAnyUnicodeReadBackAsThemselves() throws {
        let names = ["a\"b", #"back\slash"#, "line\nfeed\ttab\u{0}\u{1f}", "/slash/", "ünï", "😀 \u{7f}", ""]
        for name in names {
            let traffic = EndpointTraffic(endpoint: name, responses: [name: 1], upstreamErrors: ["x\"y": 2])
            try Self.decodesBack(.report(ReplicaReport(traffic: TrafficReport(endpoints: [traffic]))))
        }
    }

    @Test func numbersAtTheirBoundsReadBackExactly() throws {
        let integers = [0, 1, -1, 9, 10, 1_000_000, Int.max, Int.min + 1, Int.min]
        let sums: [Double] = [0, 0.1, 1e-7, 5, 1e21, 123_456.789, Double.leastNonzeroMagnitude, 1.7976931348623157e308]
        for (integer, sum) in zip(integers, sums) {
            let histogram = LatencyHistogram(buckets: [integer, 0, integer], sum: sum, count: integer)
            try Self.decodesBack(
                .report(
                    ReplicaReport(
                        requests: integer,
                        traffic: TrafficReport(endpoints: [EndpointTraffic(endpoint: "e", requestDuration: histogram)]))
                ))
        }
        var output = JSONOutput()
        output.openArray()
        for value in [Double.infinity, -.infinity, .nan] { output.double(value) }
        output.closeArray()
        #expect(String(decoding: output.bytes, as: UTF8.self) == "[0,0,0]")
    }

    /// The keys of each object in `json` (no whitespace, as `JSONOutput` writes it), object by object.
    static func keysByObject(_ json: [UInt8]) -> [[String]] {
        var done: [[String]] = []
        var open: [[String]] = []
        var index = 0
        while index < json.count {
            switch json[index] {
            case UInt8(ascii: "{"): open.append([])
            case UInt8(ascii: "}"): done.append(open.removeLast())
            case UInt8(ascii: "\""):
                var end = index + 1
                while json[end] != UInt8(ascii: "\"") { end += json[end] == UInt8(ascii: "\\") ? 2 : 1 }
                if end + 1 < json.count, json[end + 1] == UInt8(ascii: ":") {
                    open[open.count - 1].append(String(decoding: json[(index + 1)..<end], as: UTF8.self))
                }
                index = end
            default: break
            }
            index += 1
        }
        return done
    }

    @Test func everyObjectOfAReportHasItsKeysInSortedOrderSoTheReaderNeedNotSortThem() throws {
        for message in NodeDecoderTests.messages {
            guard case .report = message else { continue }
            for keys in Self.keysByObject(try message.encodedJSON()) {
                // Counts by name come in a dictionary's order; every other object is sorted.
                guard !keys.contains(where: { $0.hasSuffix("xx") || $0 == "connect" }) else { continue }
                #expect(keys == keys.sorted(), "\(keys)")
            }
        }
    }

    @Test func randomReportsReadBackAsTheyWere() throws {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            func name() -> String {
                String(
                    (0..<Int.random(in: 0...8, using: &random)).map { _ in "ab\"\\é\n/😀".randomElement(using: &random)!
                    })
            }
            func maybe<T>(_ value: @autoclosure () -> T) -> T? { Bool.random(using: &random) ? value() : nil }
            func counts() -> [String: Int] {
                Dictionary(
                    (0..<Int.random(in: 0...3, using: &random)).map { _ in
                        (name(), Int.random(in: 0...1_000, using: &random))
                    }, uniquingKeysWith: +)
            }
            func histogram() -> LatencyHistogram {
                LatencyHistogram(
                    buckets: (0...LatencyHistogram.upperBounds.count).map { _ in Int.random(in: 0...99, using: &random)
                    },
                    sum: Double.random(in: 0...1_000, using: &random), count: Int.random(in: 0...10_000, using: &random)
                )
            }
            let endpoints = (0..<Int.random(in: 0...4, using: &random)).map { _ in
                EndpointTraffic(
                    endpoint: name(), responses: counts(), requestDuration: histogram(), upstreamDuration: histogram(),
                    upstreamErrors: counts(), breakerTransitions: Int.random(in: 0...9, using: &random),
                    retries: maybe(counts()), retryBudgetExhausted: maybe(Int.random(in: 0...9, using: &random)),
                    rateLimited: maybe(Int.random(in: 0...9, using: &random)))
            }
            let breakers = (0..<Int.random(in: 0...3, using: &random)).map { _ in
                BreakerReport(
                    endpoint: name(), state: name(), failureCount: Int.random(in: 0...9, using: &random),
                    lastFailureTime: maybe(name()), lastSuccessTime: maybe(name()), stateChangedTime: name(),
                    halfOpenCalls: 1, rejected: 2, transitions: 3, failureThreshold: 4,
                    resetTimeout: Double.random(in: 0...100, using: &random), halfOpenMaxCalls: 5,
                    upstreams: maybe(
                        [
                            UpstreamBreakerReport(
                                url: name(), state: name(), failureCount: 1, lastFailureTime: maybe(name()),
                                stateChangedTime: name(), rejected: 2, transitions: 3, inFlight: 4, requests: 5,
                                errors: 6)
                        ]))
            }
            let report = ReplicaReport(
                requests: maybe(Int.random(in: 0...1_000_000, using: &random)),
                draining: maybe(Bool.random(using: &random)),
                breakers: maybe(breakers),
                traffic: maybe(
                    TrafficReport(
                        endpoints: endpoints, activeConnections: 3, pooledConnections: 4,
                        openTunnels: maybe(Int.random(in: 0...9, using: &random)),
                        accessLogDropped: maybe(Int.random(in: 0...9, using: &random)),
                        requestsByProtocol: maybe([
                            ProtocolTraffic(protocol: name(), tls: Bool.random(using: &random), requests: 8)
                        ]))),
                healthSeq: maybe(Int.random(in: 0...99, using: &random)))
            try Self.decodesBack(.report(report))
        }
    }
}
