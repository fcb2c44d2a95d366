import AdminAPI
import Foundation
import Testing

/// The two pieces of `AdminAPI` that are not plain synthesized `Codable`: `@NullEncoded` and
/// `ErrorBody`'s two shapes of `detail`.
@Suite struct AdminAPICodingTests {
    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    @Test func nullEncodedSendsNullAndPlainOptionalsAreLeftOut() throws {
        let miss = RouteDebug(inputPath: "x", normalizedPath: "/x", error: "No matching endpoint found")
        #expect(
            try Self.json(miss)
                == #"{"error":"No matching endpoint found","input_path":"x","matched_endpoint":null,"normalized_path":"/x"}"#
        )
        #expect(try JSONDecoder().decode(RouteDebug.self, from: Data(Self.json(miss).utf8)) == miss)
    }

    @Test func aMissingNullEncodedKeyDecodesAsNil() throws {
        let record = try JSONDecoder().decode(
            HealthRecord.self,
            from: Data(
                #"{"endpoint_id": "a", "status": "unknown", "last_check_time": "t", "consecutive_failures": 0, "consecutive_successes": 0, "url": "http://a"}"#
                    .utf8))
        #expect(record.responseTime == nil)
        #expect(record.errorMessage == nil)
        #expect(try Self.json(record).contains(#""error_message":null"#))
    }

    @Test func errorBodiesRoundTripInBothShapes() throws {
        let message = ErrorBody(detail: .message("Endpoint not found: x"))
        #expect(try Self.json(message) == #"{"detail":"Endpoint not found: x"}"#)
        let issues = ErrorBody(detail: .issues([ValidationDetail(loc: ["body", "url"], msg: "bad", field: "url")]))
        #expect(
            try Self.json(issues)
                == #"{"detail":[{"field":"url","loc":["body","url"],"msg":"bad","type":"value_error"}]}"#)
        for body in [message, issues] {
            #expect(try JSONDecoder().decode(ErrorBody.self, from: Data(Self.json(body).utf8)) == body)
        }
    }

    @Test func aTimestampedRecordIsOneFlatObject() throws {
        let record = HealthRecord(
            endpointId: "a", status: "active", lastCheckTime: "t", consecutiveFailures: 0, consecutiveSuccesses: 1,
            url: "http://a")
        let timestamped = TimestampedHealthRecord(record: record, timestamp: "now")
        let text = try Self.json(timestamped)
        #expect(text.hasPrefix(#"{"consecutive_failures":0,"#) && text.contains(#""timestamp":"now""#))
        #expect(try JSONDecoder().decode(TimestampedHealthRecord.self, from: Data(text.utf8)) == timestamped)
    }
}
