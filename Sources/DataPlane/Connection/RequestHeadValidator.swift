import NIOHTTP1
import Shared

/// The rules a request head must pass before anything is planned or forwarded (RFC 9112 and the
/// gateway's limits). Pure: a head and the limits in, a rejection or `nil` out.
package enum RequestHeadValidator {
    /// Why a head is refused; the connection always closes after the answer, since the rest of
    /// the stream cannot be trusted.
    package struct Rejection: Error, Sendable, Equatable {
        package var status: HTTPResponseStatus
        package var detail: String

        package init(_ status: HTTPResponseStatus, _ detail: String) {
            self.status = status
            self.detail = detail
        }

        package var response: GatewayResponse {
            let reason: ResponseReason =
                switch status {
                case .uriTooLong: .uriTooLong
                case .requestHeaderFieldsTooLarge: .headersTooLarge
                case .methodNotAllowed: .method
                default: .badRequest
                }
            return .detail(status, detail, reason: reason)
        }
    }

    /// Checks `head` against the limits and the protocol rules; on success, how its body is
    /// framed.
    package static func check(_ head: HTTPRequestHead, limits: ProxyLimits) -> Result<RequestFraming, Rejection> {
        if head.uri.utf8.count > limits.maxURIBytes {
            return .failure(Rejection(.uriTooLong, "URI too long"))
        }
        if head.headers.count > limits.maxHeaders {
            return .failure(Rejection(.requestHeaderFieldsTooLarge, "Request header fields too large"))
        }
        var headerBytes = 0
        var hosts = 0
        var length: Int?
        var lengthValid = true
        var codings = 0
        var plainChunked = true
        for (name, value) in head.headers {
            headerBytes += name.utf8.count + value.utf8.count + 4
            if name.isHeaderName("host") {
                hosts += 1
            } else if name.isHeaderName("content-length") {
                lengthValid = lengthValid && accumulateContentLength(value, into: &length)
            } else if name.isHeaderName("transfer-encoding") {
                _ = value.containsHeaderToken { coding in
                    codings += 1
                    plainChunked = plainChunked && coding.isHeaderName("chunked")
                    return false
                }
                // An empty field still announces a transfer coding (a broken one).
                if codings == 0 { plainChunked = false }
            } else if name.isHeaderName("connection"), namesProtectedHeader(value) {
                return .failure(
                    Rejection(.badRequest, "Connection header may not name Content-Length, Transfer-Encoding or Host"))
            }
        }
        let transferEncoding = codings > 0 || !plainChunked
        if headerBytes > limits.maxHeaderBytes {
            return .failure(Rejection(.requestHeaderFieldsTooLarge, "Request header fields too large"))
        }
        if head.method == .CONNECT {
            return .failure(Rejection(.methodNotAllowed, "Method CONNECT not allowed"))
        }
        if head.version.major == 1 && head.version.minor >= 1 && hosts == 0 {
            return .failure(Rejection(.badRequest, "Missing Host header"))
        }
        if hosts > 1 {
            return .failure(Rejection(.badRequest, "Multiple Host headers"))
        }
        if transferEncoding, !(plainChunked && codings == 1) {
            // The proxy decodes and re-encodes only `chunked`: another coding would be lost on
            // the way (RFC 9112 §6.1: 501 for a coding the server does not understand).
            return .failure(Rejection(.notImplemented, "Transfer-Encoding other than chunked is not supported"))
        }
        if transferEncoding, length != nil || !lengthValid {
            return .failure(Rejection(.badRequest, "Both Content-Length and Transfer-Encoding"))
        }
        if !lengthValid {
            return .failure(Rejection(.badRequest, "Invalid Content-Length"))
        }
        if let problem = targetProblem(head.uri) {
            return .failure(Rejection(.badRequest, problem))
        }
        if transferEncoding { return .success(.chunked) }
        return .success(length.map(RequestFraming.length) ?? .none)
    }

    /// Whether a `Connection` value lists Content-Length, Transfer-Encoding or Host, the headers
    /// a client may not name there: removing them as hop-by-hop would change how the upstream
    /// frames the message.
    static func namesProtectedHeader(_ value: String) -> Bool {
        value.containsHeaderToken { token in
            token.isHeaderName("content-length") || token.isHeaderName("transfer-encoding")
                || token.isHeaderName("host")
        }
    }

    /// Adds one `Content-Length` field (possibly a comma-separated repeat) to the `length` read
    /// so far; `false` when it is not a decimal number or disagrees with `length`.
    static func accumulateContentLength(_ field: String, into length: inout Int?) -> Bool {
        let utf8 = Substring(field).utf8
        var start = utf8.startIndex
        while true {
            let end = utf8[start...].firstIndex(of: UInt8(ascii: ",")) ?? utf8.endIndex
            guard let parsed = decimal(utf8[start..<end]), length == nil || length == parsed else { return false }
            length = parsed
            guard end < utf8.endIndex else { return true }
            start = utf8.index(after: end)
        }
    }

    /// A non-negative decimal number with optional surrounding spaces and tabs.
    static func decimal(_ bytes: Substring.UTF8View) -> Int? {
        var value = 0
        var digits = 0
        var trailing = false
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard !trailing, digits < 18 else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
                digits += 1
            case UInt8(ascii: " "), UInt8(ascii: "\t"):
                if digits > 0 { trailing = true }
            default:
                return nil
            }
        }
        return digits > 0 ? value : nil
    }

    /// What is wrong with a request target, if anything: a fragment, a backslash or an encoded NUL
    /// anywhere; an encoded slash in the path (a query may carry one, e.g. `?next=%2Fhome`).
    static func targetProblem(_ uri: String) -> String? {
        var inQuery = false
        var bytes = uri.utf8.makeIterator()
        while let byte = bytes.next() {
            switch byte {
            case UInt8(ascii: "#"): return "Fragment in request target"
            case UInt8(ascii: "\\"): return "Backslash in request target"
            case UInt8(ascii: "?"): inQuery = true
            case UInt8(ascii: "%"):
                guard let high = bytes.next(), let low = bytes.next() else {
                    return "Malformed percent-encoding in request target"
                }
                if high == UInt8(ascii: "0") && low == UInt8(ascii: "0") { return "Encoded NUL in request target" }
                if !inQuery && high == UInt8(ascii: "2") && (low | 0x20) == UInt8(ascii: "f") {
                    return "Encoded slash in request path"
                }
            default: break
            }
        }
        return nil
    }
}
