import Shared

/// One completed request, as one JSON line of the access log.
package struct AccessLogEntry {
    package var timeMilliseconds: Int64
    package var requestID: String
    package var replica: String
    package var method: String
    package var path: String
    package var endpoint: String?
    package var status: Int
    package var upstreamStatus: Int?
    package var bytesIn: Int
    package var bytesOut: Int
    package var durationMicroseconds: Int64
    package var upstreamDurationMicroseconds: Int64?
    package var client: String?
    package var reason: ResponseReason? = nil
    /// The protocol the client spoke and whether over TLS.
    package var transport: ClientTransport = .http1

    /// Appends the entry as a JSON object and a newline.
    package func append(to out: inout [UInt8]) {
        out.append(contentsOf: #"{"time":""#.utf8)
        AccessLogClock.appendISO8601(timeMilliseconds, to: &out)
        out.append(contentsOf: #"","request_id":"#.utf8)
        Self.appendString(requestID, to: &out)
        out.append(contentsOf: #","replica":"#.utf8)
        Self.appendString(replica, to: &out)
        out.append(contentsOf: #","method":"#.utf8)
        Self.appendString(method, to: &out)
        out.append(contentsOf: #","path":"#.utf8)
        Self.appendString(path, to: &out)
        out.append(contentsOf: #","endpoint":"#.utf8)
        Self.appendOptionalString(endpoint, to: &out)
        out.append(contentsOf: #","status":"#.utf8)
        Self.appendInteger(Int64(status), to: &out)
        out.append(contentsOf: #","upstream_status":"#.utf8)
        if let upstreamStatus { Self.appendInteger(Int64(upstreamStatus), to: &out) } else { Self.appendNull(to: &out) }
        out.append(contentsOf: #","bytes_in":"#.utf8)
        Self.appendInteger(Int64(bytesIn), to: &out)
        out.append(contentsOf: #","bytes_out":"#.utf8)
        Self.appendInteger(Int64(bytesOut), to: &out)
        out.append(contentsOf: #","duration_ms":"#.utf8)
        Self.appendMilliseconds(microseconds: durationMicroseconds, to: &out)
        out.append(contentsOf: #","upstream_duration_ms":"#.utf8)
        if let upstreamDurationMicroseconds {
            Self.appendMilliseconds(microseconds: upstreamDurationMicroseconds, to: &out)
        } else {
            Self.appendNull(to: &out)
        }
        out.append(contentsOf: #","client":"#.utf8)
        Self.appendOptionalString(client, to: &out)
        out.append(contentsOf: #","reason":"#.utf8)
        Self.appendOptionalString(reason?.rawValue, to: &out)
        out.append(contentsOf: #","protocol":""#.utf8)
        out.append(contentsOf: transport.protocolLabel.utf8)
        out.append(contentsOf: transport.isTLS ? #"","tls":true}"#.utf8 : #"","tls":false}"#.utf8)
        out.append(UInt8(ascii: "\n"))
    }

    static func appendNull(to out: inout [UInt8]) {
        out.append(contentsOf: "null".utf8)
    }

    static func appendOptionalString(_ value: String?, to out: inout [UInt8]) {
        if let value { appendString(value, to: &out) } else { appendNull(to: &out) }
    }

    /// A JSON string: quotes, backslashes and control bytes escaped; other UTF-8 bytes as they are.
    static func appendString(_ value: String, to out: inout [UInt8]) {
        JSONOutput.appendString(value, to: &out)
    }

    static func appendInteger(_ value: Int64, to out: inout [UInt8]) {
        if value < 0 {
            out.append(UInt8(ascii: "-"))
            appendInteger(-value, to: &out)
            return
        }
        var divisor: Int64 = 1
        while value / divisor >= 10 { divisor *= 10 }
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
            divisor /= 10
        }
    }

    /// Microseconds as milliseconds with three decimals (`12.345`).
    static func appendMilliseconds(microseconds: Int64, to out: inout [UInt8]) {
        let value = max(0, microseconds)
        appendInteger(value / 1000, to: &out)
        out.append(UInt8(ascii: "."))
        Timestamp.appendDigits(Int(value % 1000), count: 3, to: &out)
    }
}
