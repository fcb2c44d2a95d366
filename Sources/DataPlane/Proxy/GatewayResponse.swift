import NIOCore
import NIOHTTP1

/// A response the proxy produces itself (404, 405, 503, 502, 504, `/health`): a status, a
/// JSON body and a few extra headers.
package struct GatewayResponse: Sendable, Equatable {
    package var status: HTTPResponseStatus
    package var body: String
    package var headers: [(String, String)]
    /// Why the gateway answers itself, for the access log.
    package var reason: ResponseReason?

    package init(
        status: HTTPResponseStatus, body: String, headers: [(String, String)] = [], reason: ResponseReason? = nil
    ) {
        self.status = status
        self.body = body
        self.headers = headers
        self.reason = reason
    }

    /// `{"detail": "<text>"}`, the error body every gateway status uses.
    package static func detail(
        _ status: HTTPResponseStatus, _ text: String, headers: [(String, String)] = [], reason: ResponseReason
    ) -> GatewayResponse {
        GatewayResponse(
            status: status, body: #"{"detail":"# + JSONText.quoted(text) + "}", headers: headers, reason: reason)
    }

    /// The response head, with framing and `Connection` set for the client connection (an
    /// HTTP/1.0 client that may keep it open is told so; an HTTP/2 stream gets no `Connection`).
    package func head(
        requestID: String, endpointID: String?, keepAlive: Bool, version: HTTPVersion = .http1_1
    ) -> HTTPResponseHead {
        var fields = HTTPHeaders()
        fields.reserveCapacity(headers.count + 5)
        fields.add(name: "content-type", value: "application/json")
        fields.add(name: "content-length", value: String(body.utf8.count))
        for (name, value) in headers { fields.add(name: name, value: value) }
        fields.add(name: "x-request-id", value: requestID)
        if let endpointID { fields.add(name: "x-endpoint-id", value: endpointID) }
        if version.major < 2 {
            if !keepAlive {
                fields.add(name: "connection", value: "close")
            } else if version.minor == 0 {
                fields.add(name: "connection", value: "keep-alive")
            }
        }
        return HTTPResponseHead(version: version, status: status, headers: fields)
    }

    package static func == (lhs: GatewayResponse, rhs: GatewayResponse) -> Bool {
        lhs.status == rhs.status && lhs.body == rhs.body && lhs.reason == rhs.reason
            && lhs.headers.map { "\($0.0): \($0.1)" } == rhs.headers.map { "\($0.0): \($0.1)" }
    }
}

/// Minimal JSON text helpers for the few bodies the proxy writes itself.
package enum JSONText {
    /// `text` as a JSON string literal, quotes included.
    package static func quoted(_ text: String) -> String {
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let c where c.value < 0x20:
                let hex = String(c.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
