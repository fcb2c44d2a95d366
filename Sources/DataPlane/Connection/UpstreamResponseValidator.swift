import NIOHTTP1

/// What the proxy refuses to relay from an upstream: a response it could not frame safely for
/// the client. Such a response becomes a 502 and its connection is never reused.
package enum UpstreamResponseValidator {
    /// Why `head` cannot be relayed, or `nil` when it can.
    package static func problem(_ head: HTTPResponseHead) -> String? {
        let code = head.status.code
        // 1xx responses other than 101 are consumed by the decoder; a 101 answers an upgrade the
        // proxy never asks for.
        guard (100...599).contains(code), code != 101 else { return "invalid status \(code)" }
        var contentLengths = 0
        var transferEncoding = false
        for (name, value) in head.headers {
            guard isToken(name) else { return "invalid header name" }
            guard isFieldValue(value) else { return "invalid bytes in header \(name.lowercased())" }
            if name.isHeaderName("content-length") { contentLengths += 1 }
            if name.isHeaderName("transfer-encoding") { transferEncoding = true }
        }
        if contentLengths > 0 {
            if transferEncoding { return "both Content-Length and Transfer-Encoding" }
            if RequestHeadValidator.contentLength(of: head.headers) == nil { return "conflicting Content-Length" }
        }
        return nil
    }

    /// RFC 9110 `token`.
    static func isToken(_ text: String) -> Bool {
        guard !text.isEmpty else { return false }
        return text.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"):
                true
            case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
                UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
                true
            default:
                false
            }
        }
    }

    /// RFC 9110 `field-value`: visible characters, spaces, tabs and obs-text; no CR, LF, NUL or
    /// other control bytes.
    static func isFieldValue(_ text: String) -> Bool {
        text.utf8.allSatisfy { byte in byte >= 0x20 ? byte != 0x7F : byte == 0x09 }
    }
}
