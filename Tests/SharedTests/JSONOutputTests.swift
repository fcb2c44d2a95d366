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
            try Self.decodesBack(.report(RandomReport.make(using: &random)))
        }
    }
}
