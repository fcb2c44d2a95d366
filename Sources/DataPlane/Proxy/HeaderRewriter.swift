import NIOHTTP1

/// Rewrites message heads as they cross the proxy: hop-by-hop headers go, forwarding headers
/// are added, everything else passes untouched (repeated headers stay separate lines).
package enum HeaderRewriter {
    /// Headers that describe one connection, not the message (RFC 9110 §7.6.1), plus the
    /// de-facto `Proxy-Connection` and `Keep-Alive`.
    package static let hopByHop: [String] = [
        "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te",
        "trailer", "transfer-encoding", "upgrade",
    ]

    /// Removes hop-by-hop headers and every header named in `Connection`.
    package static func removeHopByHop(_ headers: inout HTTPHeaders) {
        for name in headers[canonicalForm: "connection"] where !name.isEmpty {
            headers.remove(name: String(name))
        }
        for name in hopByHop where headers.contains(name: name) {
            headers.remove(name: name)
        }
    }

    /// Fields that may never travel in a trailer section: they describe the connection or the
    /// framing, and a strict parser (llhttp among them) acts on them there too (RFC 9110 §6.5.1).
    static let forbiddenInTrailers: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te",
        "trailer", "transfer-encoding", "upgrade", "content-length", "host",
    ]

    /// Trailers as they may be passed on: without connection and framing fields, and without any
    /// field the trailer's own `Connection` names. `changed` says whether any was dropped (the
    /// connection they came on must then not be reused: its parser may have acted on them).
    package static func passableTrailers(_ trailers: HTTPHeaders?) -> (trailers: HTTPHeaders?, changed: Bool) {
        guard let trailers, !trailers.isEmpty else { return (trailers, false) }
        var named = Set<String>()
        for (name, value) in trailers where name.isHeaderName("connection") {
            named.formUnion(value.headerTokens())
        }
        var kept = HTTPHeaders()
        var changed = false
        for (name, value) in trailers {
            let lower = name.lowercased()
            if forbiddenInTrailers.contains(lower) || named.contains(lower) {
                changed = true
            } else {
                kept.add(name: name, value: value)
            }
        }
        return changed ? (kept, true) : (trailers, false)
    }

    /// What the upstream needs to know about the client side of a request.
    package struct ForwardingContext: Sendable {
        /// The client's IP address, if the connection has one.
        package var clientIP: String?
        /// `Host` as sent upstream: the endpoint's authority.
        package var upstreamAuthority: String
        /// The request id the client keeps seeing.
        package var requestID: String

        package init(clientIP: String?, upstreamAuthority: String, requestID: String) {
            self.clientIP = clientIP
            self.upstreamAuthority = upstreamAuthority
            self.requestID = requestID
        }
    }

    /// The head to send upstream for a client's request head.
    ///
    /// Framing is the proxy's own, built from what the decoder parsed, never from client headers
    /// that survive the rewrite: every `Content-Length` and `Transfer-Encoding` the client sent
    /// goes, then a chunked body is sent chunked, a body with a length announces that length, and
    /// a request with no body announces none (`Content-Length: 0` for methods that usually carry
    /// one, so the encoder does not invent a chunked body).
    package static func upstreamHead(
        for client: HTTPRequestHead,
        target: String,
        context: ForwardingContext
    ) -> HTTPRequestHead {
        var headers = client.headers
        let chunked = headers.contains(name: "transfer-encoding")
        let length = chunked ? nil : RequestHeadValidator.contentLength(of: headers)
        let clientHost = headers.first(name: "host")
        removeHopByHop(&headers)
        headers.remove(name: "content-length")
        // `Expect: 100-continue` is answered by the proxy itself; the upstream gets the body directly.
        headers.remove(name: "expect")

        headers.replaceOrAdd(name: "host", value: context.upstreamAuthority)
        if let clientIP = context.clientIP {
            let previous = headers[canonicalForm: "x-forwarded-for"]
            let value = previous.isEmpty ? clientIP : previous.joined(separator: ", ") + ", " + clientIP
            headers.replaceOrAdd(name: "x-forwarded-for", value: value)
        }
        headers.replaceOrAdd(name: "x-forwarded-proto", value: "http")
        if let clientHost {
            headers.replaceOrAdd(name: "x-forwarded-host", value: clientHost)
        } else {
            headers.remove(name: "x-forwarded-host")
        }
        headers.replaceOrAdd(name: "x-request-id", value: context.requestID)

        if chunked {
            headers.add(name: "transfer-encoding", value: "chunked")
        } else if let length {
            headers.add(name: "content-length", value: String(length))
        } else if [.POST, .PUT, .PATCH].contains(client.method) {
            headers.add(name: "content-length", value: "0")
        }

        return HTTPRequestHead(version: .http1_1, method: client.method, uri: target, headers: headers)
    }

    /// The head to send the client for an upstream response head.
    package static func clientHead(
        for upstream: HTTPResponseHead,
        requestID: String,
        endpointID: String,
        keepAlive: Bool,
        version: HTTPVersion = .http1_1
    ) -> HTTPResponseHead {
        var headers = upstream.headers
        // Framing stays what the decoder parsed: a `Connection` header naming `Content-Length`
        // must not turn a sized body into one the client reads until close. (A response with both
        // `Content-Length` and `Transfer-Encoding` never gets here.)
        let length = headers.first(name: "content-length")
        removeHopByHop(&headers)
        if let length, !headers.contains(name: "content-length") { headers.add(name: "content-length", value: length) }
        headers.replaceOrAdd(name: "x-request-id", value: requestID)
        headers.replaceOrAdd(name: "x-endpoint-id", value: endpointID)
        if !keepAlive {
            headers.add(name: "connection", value: "close")
        } else if version.minor == 0 {
            headers.add(name: "connection", value: "keep-alive")
        }
        return HTTPResponseHead(version: version, status: upstream.status, headers: headers)
    }
}
