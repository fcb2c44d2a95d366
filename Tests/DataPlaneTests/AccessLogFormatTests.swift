import Foundation
import Testing

@testable import DataPlane

/// The hand-written access-log formatting: ISO 8601 times and JSON escaping.
struct AccessLogFormatTests {
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"),
        (Int64(951_782_400_123), "2000-02-29T00:00:00.123Z"),
        (Int64(1_795_741_323_456), "2026-11-27T01:02:03.456Z"),
        (Int64(4_102_444_799_999), "2099-12-31T23:59:59.999Z"),
    ])
    func timesAreISO8601(milliseconds: Int64, expected: String) {
        var out: [UInt8] = []
        AccessLogClock.appendISO8601(milliseconds, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == expected)
    }

    @Test func matchesFoundationForManyInstants() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var milliseconds: Int64 = 0
        for _ in 0..<2000 {
            milliseconds += 86_400_000 * 17 + 3_601_337
            var out: [UInt8] = []
            AccessLogClock.appendISO8601(milliseconds, to: &out)
            let expected = formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
            #expect(String(decoding: out, as: UTF8.self) == expected)
        }
    }

    @Test func entryIsOneJSONObjectWithEveryField() throws {
        let entry = AccessLogEntry(
            timeMilliseconds: 1000, requestID: "id\"1\\", replica: "r1", method: "GET", path: "/a?b=\"c\"\n\u{1}é",
            endpoint: nil, status: 404, upstreamStatus: nil, bytesIn: 0, bytesOut: 31, durationMicroseconds: 1_234_567,
            upstreamDurationMicroseconds: nil, client: "127.0.0.1", transport: .h2TLS)
        var out: [UInt8] = []
        entry.append(to: &out)
        #expect(out.last == UInt8(ascii: "\n"))
        #expect(out.filter { $0 == UInt8(ascii: "\n") }.count == 1)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(out)) as? [String: Any])
        #expect(json["request_id"] as? String == "id\"1\\")
        #expect(json["path"] as? String == "/a?b=\"c\"\n\u{1}é")
        #expect(json["endpoint"] is NSNull)
        #expect(json["upstream_status"] is NSNull)
        #expect(json["upstream_duration_ms"] is NSNull)
        #expect(json["status"] as? Int == 404)
        #expect(json["bytes_out"] as? Int == 31)
        #expect(json["duration_ms"] as? Double == 1234.567)
        #expect(json["time"] as? String == "1970-01-01T00:00:01.000Z")
        #expect(json["protocol"] as? String == "h2")
        #expect(json["tls"] as? Bool == true)
        #expect(
            Set(json.keys) == [
                "time", "request_id", "replica", "method", "path", "endpoint", "status", "upstream_status", "bytes_in",
                "bytes_out", "duration_ms", "upstream_duration_ms", "client", "reason", "protocol", "tls",
            ])
    }

    @Test func writerDropsAndCountsBeyondItsBound() throws {
        let directory = NSTemporaryDirectory() + "orch-log-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let writer = try #require(try AccessLogWriter.start(.file(directory), maximumPendingBytes: 10))
        writer.submit(Array(repeating: UInt8(ascii: "x"), count: 11), lines: 3)
        #expect(writer.dropped == 3)
        writer.submit(Array("ok\n".utf8), lines: 1)
        writer.finish()
        #expect(try String(contentsOfFile: directory, encoding: .utf8) == "ok\n")
    }
}
