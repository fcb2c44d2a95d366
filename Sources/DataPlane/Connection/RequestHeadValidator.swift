import NIOHTTP1
import Shared

/// The rules a request head must pass before anything is planned or forwarded (RFC 9112 and the
/// gateway's limits). Pure: a head and the limits in, a rejection or `nil` out.
package enum RequestHeadValidator {
    /// Why a head is refused; the connection always closes after the answer, since the rest of
    /// the stream cannot be trusted.
    package struct Rejection: Sendable, Equatable {
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

    /// Headers a client may not name in `Connection`: removing them as hop-by-hop would change
    /// how the upstream frames the message.
    static let protectedFromConnection: Set<String> = ["content-length", "transfer-encoding", "host"]

    /// Checks `head` against the limits and the protocol rules.
    package static func check(_ head: HTTPRequestHead, limits: ProxyLimits) -> Rejection? {
        if head.uri.utf8.count > limits.maxURIBytes {
            return Rejection(.uriTooLong, "URI too long")
        }
        if head.headers.count > limits.maxHeaders {
            return Rejection(.requestHeaderFieldsTooLarge, "Request header fields too large")
        }
        var headerBytes = 0
        var hosts = 0
        var contentLengths = 0
        var transferEncoding = false
        for (name, value) in head.headers {
            headerBytes += name.utf8.count + value.utf8.count + 4
            if name.isHeaderName("host") {
                hosts += 1
            } else if name.isHeaderName("content-length") {
                contentLengths += 1
            } else if name.isHeaderName("transfer-encoding") {
                transferEncoding = true
            } else if name.isHeaderName("connection"), namesProtectedHeader(value) {
                return Rejection(
                    .badRequest, "Connection header may not name Content-Length, Transfer-Encoding or Host")
            }
        }
        if headerBytes > limits.maxHeaderBytes {
            return Rejection(.requestHeaderFieldsTooLarge, "Request header fields too large")
        }
        if head.method == .CONNECT {
            return Rejection(.methodNotAllowed, "Method CONNECT not allowed")
        }
        if head.version.major == 1 && head.version.minor >= 1 && hosts == 0 {
            return Rejection(.badRequest, "Missing Host header")
        }
        if hosts > 1 {
            return Rejection(.badRequest, "Multiple Host headers")
        }
        if transferEncoding, !isPlainChunked(head.headers) {
            // The proxy decodes and re-encodes only `chunked`: another coding would be lost on
            // the way (RFC 9112 §6.1: 501 for a coding the server does not understand).
            return Rejection(.notImplemented, "Transfer-Encoding other than chunked is not supported")
        }
        if contentLengths > 0 {
            if transferEncoding {
                return Rejection(.badRequest, "Both Content-Length and Transfer-Encoding")
            }
            if contentLength(of: head.headers) == nil {
                return Rejection(.badRequest, "Invalid Content-Length")
            }
        }
        if let problem = targetProblem(head.uri) {
            return Rejection(.badRequest, problem)
        }
        return nil
    }

    /// Whether the request's transfer coding is exactly `chunked` (one field, one coding).
    static func isPlainChunked(_ headers: HTTPHeaders) -> Bool {
        var codings = 0
        for (name, value) in headers where name.isHeaderName("transfer-encoding") {
            for coding in value.headerTokens() {
                codings += 1
                guard coding == "chunked" else { return false }
            }
        }
        return codings == 1
    }

    /// Whether a `Connection` value lists Content-Length, Transfer-Encoding or Host.
    static func namesProtectedHeader(_ value: String) -> Bool {
        value.headerTokens().contains { protectedFromConnection.contains($0) }
    }

    /// The body length a head announces: every `Content-Length` value (also comma-separated
    /// repeats) must be the same decimal number; `nil` when they are not, or when none is given.
    package static func contentLength(of headers: HTTPHeaders) -> Int? {
        var length: Int?
        for (name, field) in headers where name.isHeaderName("content-length") {
            for value in field.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
                guard let parsed = decimal(value) else { return nil }
                if let length, length != parsed { return nil }
                length = parsed
            }
        }
        return length
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

extension String {
    /// The comma-separated list elements of a field value (`Connection`, `Transfer-Encoding`),
    /// trimmed and lower-cased.
    func headerTokens() -> [String] {
        split(separator: ",").map { $0.trimmingASCIISpaces().lowercased() }
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs (the optional white space of HTTP).
    func trimmingASCIISpaces() -> Substring {
        let text = Substring(self)
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        let tail = text.drop(while: isSpace)
        guard let last = tail.lastIndex(where: { !isSpace($0) }) else { return tail[tail.endIndex...] }
        return tail[...last]
    }
}
