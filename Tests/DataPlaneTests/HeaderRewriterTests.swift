import DataPlane
import NIOHTTP1
import Testing

@Suite struct HeaderRewriterTests {
    let context = HeaderRewriter.ForwardingContext(
        clientIP: "127.0.0.9", upstreamAuthority: "backend:8080", requestID: "req-1")

    func clientHead(_ headers: [(String, String)], _ method: HTTPMethod = .GET) -> HTTPRequestHead {
        HTTPRequestHead(version: .http1_1, method: method, uri: "/orchestrator/svc/x", headers: HTTPHeaders(headers))
    }

    /// The upstream head for a client head whose body the validator read as `framing`.
    func upstreamHead(
        _ headers: [(String, String)], _ method: HTTPMethod = .GET, framing: RequestFraming = .none,
        target: String = "/"
    ) -> HTTPRequestHead {
        HeaderRewriter.upstreamHead(
            for: clientHead(headers, method), framing: framing, target: target, context: context)
    }

    @Test func hopByHopAndConnectionListedHeadersAreRemoved() {
        let head = upstreamHead(
            [
                ("Host", "gateway"), ("Connection", "keep-alive, X-Private"), ("X-Private", "secret"),
                ("Keep-Alive", "timeout=5"), ("Proxy-Connection", "keep-alive"), ("Proxy-Authorization", "Basic x"),
                ("TE", "trailers"), ("Trailer", "X-T"), ("Upgrade", "websocket"), ("X-Kept", "1"),
            ], target: "/api/x")
        for name in [
            "connection", "x-private", "keep-alive", "proxy-connection", "proxy-authorization", "te", "trailer",
            "upgrade",
        ] {
            #expect(!head.headers.contains(name: name), "\(name) must not be forwarded")
        }
        #expect(head.headers["x-kept"] == ["1"])
        #expect(head.uri == "/api/x")
    }

    @Test func forwardingHeadersAreSet() {
        let head = upstreamHead(
            [
                ("Host", "gateway.example:8000"), ("X-Forwarded-For", "10.0.0.1"), ("X-Forwarded-For", "10.0.0.2"),
                ("X-Forwarded-Proto", "https"),
            ], target: "/")
        #expect(head.headers["host"] == ["backend:8080"])
        #expect(head.headers["x-forwarded-for"] == ["10.0.0.1, 10.0.0.2, 127.0.0.9"])
        #expect(head.headers["x-forwarded-proto"] == ["http"])
        #expect(head.headers["x-forwarded-host"] == ["gateway.example:8000"])
        #expect(head.headers["x-request-id"] == ["req-1"])
    }

    @Test func endToEndHeadersPassUntouchedAndRepeatedLinesStaySeparate() {
        let head = upstreamHead(
            [
                ("Authorization", "Bearer abc"), ("Cookie", "a=1"), ("Cookie", "b=2"), ("X-API-Key", "k"),
                ("Accept-Encoding", "gzip"),
            ], target: "/")
        #expect(head.headers["authorization"] == ["Bearer abc"])
        #expect(head.headers["cookie"] == ["a=1", "b=2"])
        #expect(head.headers["x-api-key"] == ["k"])
        #expect(head.headers["accept-encoding"] == ["gzip"])
    }

    @Test func requestFramingFollowsTheClientsBody() {
        let chunked = upstreamHead([("Transfer-Encoding", "chunked")], .POST, framing: .chunked)
        #expect(chunked.headers["transfer-encoding"] == ["chunked"])
        #expect(!chunked.headers.contains(name: "content-length"))

        let sized = upstreamHead([("Content-Length", "1024")], .PUT, framing: .length(1024))
        #expect(sized.headers["content-length"] == ["1024"])

        let emptyPost = upstreamHead([], .POST, target: "/")
        #expect(emptyPost.headers["content-length"] == ["0"])

        let get = upstreamHead([], .GET, target: "/")
        #expect(!get.headers.contains(name: "content-length"))
        #expect(!get.headers.contains(name: "transfer-encoding"))
    }

    @Test func expectIsAnsweredByTheProxyNotForwarded() {
        let head = upstreamHead([("Expect", "100-continue"), ("Content-Length", "5")], .PUT, framing: .length(5))
        #expect(!head.headers.contains(name: "expect"))
    }

    @Test func responseHeadDropsHopByHopAndAddsIDs() {
        let upstream = HTTPResponseHead(
            version: .http1_1, status: .found,
            headers: HTTPHeaders([
                ("Location", "/elsewhere"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("Connection", "X-Hop"),
                ("X-Hop", "1"), ("Transfer-Encoding", "chunked"), ("Content-Encoding", "gzip"),
            ]))
        let head = HeaderRewriter.clientHead(for: upstream, requestID: "r", endpointID: "svc", keepAlive: false)
        #expect(head.status == .found)
        #expect(head.headers["location"] == ["/elsewhere"])
        #expect(head.headers["set-cookie"] == ["a=1", "b=2"])
        #expect(head.headers["content-encoding"] == ["gzip"])
        #expect(!head.headers.contains(name: "x-hop"))
        #expect(!head.headers.contains(name: "transfer-encoding"))
        #expect(head.headers["x-request-id"] == ["r"])
        #expect(head.headers["x-endpoint-id"] == ["svc"])
        #expect(head.headers["connection"] == ["close"])
    }
}

@Suite struct RequestIDTests {
    @Test(arguments: ["abc", "A-b_c.d:e", String(repeating: "x", count: 128)])
    func saneClientIDsAreKept(_ value: String) {
        #expect(RequestID.choose(clientValue: value) == value)
    }

    @Test(arguments: ["", "has space", "semi;colon", "ünïcode", String(repeating: "x", count: 129), "a\r\nb"])
    func otherIDsAreReplacedWithAGeneratedOne(_ value: String) {
        let chosen = RequestID.choose(clientValue: value)
        #expect(chosen != value)
        #expect(chosen.count == RequestID.length)
        #expect(RequestID.isSane(chosen))
    }

    @Test func missingIDIsGenerated() {
        #expect(RequestID.choose(clientValue: nil) != RequestID.choose(clientValue: nil))
    }
}

@Suite struct GeneratedRequestIDTests {
    @Test func generatedIDsAreFifteenBase32CharactersAndDistinct() {
        var seen = Set<String>()
        let alphabet = Set("0123456789abcdefghjkmnpqrstvwxyz")
        for _ in 0..<1000 {
            let id = RequestID.generate()
            #expect(id.count == 15)
            #expect(id.allSatisfy(alphabet.contains))
            #expect(RequestID.isSane(id))
            seen.insert(id)
        }
        #expect(seen.count == 1000)
    }
}
