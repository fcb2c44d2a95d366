import NIOHTTP1

/// Rewrites message heads as they cross the proxy: hop-by-hop headers go, forwarding headers
/// are added, everything else passes untouched (repeated headers stay separate lines).
package enum HeaderRewriter {
    /// Whether `name` describes one connection, not the message (RFC 9110 §7.6.1), counting the
    /// de-facto `Proxy-Connection` and `Keep-Alive`. Decided by length first: most names are
    /// compared with nothing.
    static func isHopByHop(_ name: some StringProtocol) -> Bool {
        switch name.utf8.count {
        case 2: name.isHeaderName("te")
        case 7: name.isHeaderName("trailer") || name.isHeaderName("upgrade")
        case 10: name.isHeaderName("connection") || name.isHeaderName("keep-alive")
        case 16: name.isHeaderName("proxy-connection")
        case 17: name.isHeaderName("transfer-encoding")
        case 18: name.isHeaderName("proxy-authenticate")
        case 19: name.isHeaderName("proxy-authorization")
        default: false
        }
    }

    /// The headers a message's `Connection` fields name (beyond the hop-by-hop ones, which go
    /// anyway): they describe the connection too. Empty, and allocation-free, in the common case.
    struct ConnectionNamed {
        private let names: [Substring]

        init(_ headers: HTTPHeaders) {
            var found: [Substring] = []
            for (name, value) in headers where name.isHeaderName("connection") && !Self.isPlainOption(value) {
                _ = value.containsHeaderToken { token in
                    if !token.isEmpty, !HeaderRewriter.isHopByHop(token) { found.append(token) }
                    return false
                }
            }
            names = found
        }

        func contains(_ name: String) -> Bool {
            names.contains { $0.equalsIgnoringASCIICase(name) }
        }

        /// `keep-alive` alone, what most kept-alive messages say: a hop-by-hop name, nothing to
        /// collect.
        private static func isPlainOption(_ value: String) -> Bool {
            value.isHeaderName("keep-alive")
        }
    }

    /// Fields that may never travel in a trailer section: they describe the connection or the
    /// framing, and a strict parser (llhttp among them) acts on them there too (RFC 9110 §6.5.1).
    static func isForbiddenInTrailers(_ name: String) -> Bool {
        isHopByHop(name) || name.isHeaderName("content-length") || name.isHeaderName("host")
    }

    /// Trailers as they may be passed on: without connection and framing fields, and without any
    /// field the trailer's own `Connection` names. `changed` says whether any was dropped (the
    /// connection they came on must then not be reused: its parser may have acted on them).
    package static func passableTrailers(_ trailers: HTTPHeaders?) -> (trailers: HTTPHeaders?, changed: Bool) {
        guard let trailers, !trailers.isEmpty else { return (trailers, false) }
        let named = ConnectionNamed(trailers)
        guard trailers.contains(where: { name, _ in isForbiddenInTrailers(name) || named.contains(name) }) else {
            return (trailers, false)
        }
        var kept = HTTPHeaders()
        for (name, value) in trailers where !isForbiddenInTrailers(name) && !named.contains(name) {
            kept.add(name: name, value: value)
        }
        return (kept, true)
    }

    /// What the upstream needs to know about the client side of a request.
    package struct ForwardingContext: Sendable {
        /// The client's IP address, if the connection has one.
        package var clientIP: String?
        /// `Host` as sent upstream: the endpoint's authority.
        package var upstreamAuthority: String
        /// The request id the client keeps seeing.
        package var requestID: String
        /// `X-Forwarded-Proto`: `https` when the client came over TLS, else `http`.
        package var forwardedProto: String
        /// The request asks to switch protocols: its `Upgrade` field goes upstream, with
        /// `Connection: upgrade`.
        package var upgrade: Bool

        package init(
            clientIP: String?, upstreamAuthority: String, requestID: String, forwardedProto: String = "http",
            upgrade: Bool = false
        ) {
            self.clientIP = clientIP
            self.upstreamAuthority = upstreamAuthority
            self.requestID = requestID
            self.forwardedProto = forwardedProto
            self.upgrade = upgrade
        }
    }

    /// The head to send upstream for a client's request head, in one pass over its headers.
    ///
    /// Framing is the proxy's own, from what the decoder parsed (`framing`), never from client
    /// headers that survive the rewrite: every `Content-Length` and `Transfer-Encoding` the
    /// client sent goes, then a chunked body is sent chunked, a body with a length announces that
    /// length, and a request with no body announces none (`Content-Length: 0` for methods that
    /// usually carry one, so the encoder does not invent a chunked body).
    package static func upstreamHead(
        for client: HTTPRequestHead,
        framing: RequestFraming,
        target: String,
        context: ForwardingContext
    ) -> HTTPRequestHead {
        let named = ConnectionNamed(client.headers)
        // Built as a plain list: every name is the decoder's (already a checked token) or one
        // of ours, so `HTTPHeaders.add`'s per-name check would only cost time.
        var headers: [(String, String)] = []
        headers.reserveCapacity(client.headers.count + 6)
        var clientHost: String?
        var forwardedFor = ""
        // HTTP/2 clients may split `Cookie` into one field per cookie; HTTP/1.1 wants one line
        // (RFC 9113 §8.2.3).
        let joinsCookies = client.version.major >= 2
        var cookies = ""
        for (name, value) in client.headers {
            if name.isHeaderName("host") {
                if clientHost == nil { clientHost = value }
                continue
            }
            if isHopByHop(name) || named.contains(name) { continue }
            if name.isHeaderName("x-forwarded-for") {
                forwardedFor += forwardedFor.isEmpty ? value : ", " + value
                continue
            }
            if joinsCookies, name.isHeaderName("cookie") {
                cookies += cookies.isEmpty ? value : "; " + value
                continue
            }
            // `Expect: 100-continue` is answered by the proxy itself; the upstream gets the body
            // directly. The others are the proxy's to set.
            if name.isHeaderName("content-length") || name.isHeaderName("expect")
                || name.isHeaderName("x-forwarded-proto") || name.isHeaderName("x-forwarded-host")
                || name.isHeaderName("x-request-id")
            {
                continue
            }
            headers.append((name, value))
        }

        if !cookies.isEmpty { headers.append(("cookie", cookies)) }
        headers.append(("host", context.upstreamAuthority))
        if let clientIP = context.clientIP {
            headers.append(("x-forwarded-for", forwardedFor.isEmpty ? clientIP : forwardedFor + ", " + clientIP))
        } else if !forwardedFor.isEmpty {
            headers.append(("x-forwarded-for", forwardedFor))
        }
        headers.append(("x-forwarded-proto", context.forwardedProto))
        if let clientHost { headers.append(("x-forwarded-host", clientHost)) }
        headers.append(("x-request-id", context.requestID))
        if context.upgrade {
            for (name, value) in client.headers where name.isHeaderName("upgrade") { headers.append((name, value)) }
            headers.append(("connection", "upgrade"))
        }

        switch framing {
        case .chunked:
            headers.append(("transfer-encoding", "chunked"))
        case .length(let length):
            headers.append(("content-length", String(length)))
        case .none:
            switch client.method {
            case .POST, .PUT, .PATCH: headers.append(("content-length", "0"))
            default: break
            }
        }
        return HTTPRequestHead(version: .http1_1, method: client.method, uri: target, headers: HTTPHeaders(headers))
    }

    /// The head to send the client for an upstream response head, in one pass over its headers.
    package static func clientHead(
        for upstream: HTTPResponseHead,
        requestID: String,
        endpointID: String,
        keepAlive: Bool,
        version: HTTPVersion = .http1_1
    ) -> HTTPResponseHead {
        let named = ConnectionNamed(upstream.headers)
        var headers: [(String, String)] = []
        headers.reserveCapacity(upstream.headers.count + 3)
        for (name, value) in upstream.headers {
            // Framing stays what the decoder parsed: a `Connection` header naming `Content-Length`
            // must not turn a sized body into one the client reads until close. (A response with
            // both `Content-Length` and `Transfer-Encoding` never gets here.)
            if name.isHeaderName("content-length") {
                headers.append((name, value))
                continue
            }
            if isHopByHop(name) || named.contains(name) || name.isHeaderName("x-request-id")
                || name.isHeaderName("x-endpoint-id")
            {
                continue
            }
            headers.append((name, value))
        }
        headers.append(("x-request-id", requestID))
        headers.append(("x-endpoint-id", endpointID))
        if upstream.status == .switchingProtocols {
            // The protocol switched to: what the client asked for, as the upstream confirms it.
            for (name, value) in upstream.headers where name.isHeaderName("upgrade") { headers.append((name, value)) }
            headers.append(("connection", "upgrade"))
        } else if version.major < 2 {
            // HTTP/2 has no connection header: a stream ends with its response.
            if !keepAlive {
                headers.append(("connection", "close"))
            } else if version.minor == 0 {
                headers.append(("connection", "keep-alive"))
            }
        }
        return HTTPResponseHead(version: version, status: upstream.status, headers: HTTPHeaders(headers))
    }
}
