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
        var length: Int?
        var lengthValid = true
        var transferEncoding = false
        // Field syntax (token names; no CR, LF, NUL or other control byte in a value) is enforced
        // by the decoder itself (llhttp in strict mode): such a response never gets here.
        for (name, value) in head.headers {
            if name.isHeaderName("content-length") {
                lengthValid = lengthValid && RequestHeadValidator.accumulateContentLength(value, into: &length)
            } else if name.isHeaderName("transfer-encoding") {
                transferEncoding = true
            }
        }
        if transferEncoding && (length != nil || !lengthValid) {
            return "both Content-Length and Transfer-Encoding"
        }
        if !lengthValid { return "conflicting Content-Length" }
        return nil
    }
}
