import DataPlane
import Foundation
import NIOHTTP1
import TestSupport
import Testing

/// Headers through the real proxy: end-to-end ones untouched, hop-by-hop ones dropped,
/// forwarding headers added, cookies never shared.
@Suite(.endToEnd) struct ProxyHeaderTests {
    @Test func credentialsAndEndToEndHeadersReachTheUpstream() async throws {
        try await ProxyFixture.with { proxy in
            let request =
                "GET /orchestrator/svc/h HTTP/1.1\r\nHost: gateway.test:8000\r\n"
                + "Authorization: Bearer secret-token\r\nCookie: session=abc\r\nX-API-Key: key-1\r\n"
                + "X-Multi: one\r\nX-Multi: two\r\nX-Forwarded-For: 10.1.2.3\r\nX-Request-ID: trace-123\r\n"
                + "Connection: close, X-Drop\r\nX-Drop: gone\r\nKeep-Alive: timeout=5\r\nUpgrade: h2c\r\n"
                + "Proxy-Authorization: Basic eA==\r\nTE: trailers\r\n\r\n"
            let response = try await DataPlaneRawClient.exchange(port: proxy.port, request)
            #expect(response.status == 200)
            #expect(response.values("x-request-id") == ["trace-123"])
            #expect(response.values("x-endpoint-id") == ["svc"])
            let upstream = try await proxy.upstream.waitForRequests(1)[0]
            #expect(upstream.values("authorization") == ["Bearer secret-token"])
            #expect(upstream.values("cookie") == ["session=abc"])
            #expect(upstream.values("x-api-key") == ["key-1"])
            #expect(upstream.values("x-multi") == ["one", "two"])
            #expect(upstream.values("host") == ["127.0.0.1:\(proxy.upstream.port)"])
            #expect(upstream.values("x-forwarded-for") == ["10.1.2.3, 127.0.0.1"])
            #expect(upstream.values("x-forwarded-proto") == ["http"])
            #expect(upstream.values("x-forwarded-host") == ["gateway.test:8000"])
            #expect(upstream.values("x-request-id") == ["trace-123"])
            for dropped in ["x-drop", "keep-alive", "upgrade", "proxy-authorization", "te"] {
                #expect(upstream.values(dropped).isEmpty, "\(dropped) must not reach the upstream")
            }
        }
    }

    @Test func insaneRequestIDsAreReplaced() async throws {
        try await ProxyFixture.with { proxy in
            let response = try await TestHTTP.request(
                .GET, proxy.url("/orchestrator/svc/id"), headers: [("X-Request-ID", "bad id;<script>")])
            let returned = try #require(response.headers.first(name: "x-request-id"))
            #expect(returned != "bad id;<script>")
            #expect(returned.count == RequestID.length)
            #expect(try await proxy.upstream.waitForRequests(1)[0].values("x-request-id") == [returned])
        }
    }

    @Test func repeatedResponseHeadersStaySeparateAndHopByHopOnesGo() async throws {
        let headers = [
            ("Set-Cookie", "a=1; Path=/"), ("Set-Cookie", "b=2; Path=/"), ("Content-Encoding", "gzip"),
            ("Connection", "X-Upstream-Hop"), ("X-Upstream-Hop", "1"), ("Server", "upstream/1.0"),
        ]
        try await ProxyFixture.with(.fixed(status: 201, headers: headers, body: "not really gzip")) { proxy in
            let response = try await DataPlaneRawClient.exchange(
                port: proxy.port, "GET /orchestrator/svc/c HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n")
            #expect(response.status == 201)
            #expect(response.values("set-cookie") == ["a=1; Path=/", "b=2; Path=/"])
            #expect(response.values("content-encoding") == ["gzip"])
            #expect(response.values("server") == ["upstream/1.0"])
            #expect(response.values("x-upstream-hop").isEmpty)
            #expect(String(decoding: response.body, as: UTF8.self) == "not really gzip")
        }
    }

    @Test func cookiesSetForOneClientAreNeverSentForAnother() async throws {
        try await ProxyFixture.with(.fixed(status: 200, headers: [("Set-Cookie", "session=alice")], body: "hi")) {
            proxy in
            let first = try await DataPlaneRawClient.exchange(
                port: proxy.port, "GET /orchestrator/svc/login HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n")
            #expect(first.values("set-cookie") == ["session=alice"])
            let second = try await DataPlaneRawClient.exchange(
                port: proxy.port, "GET /orchestrator/svc/other HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n")
            #expect(second.status == 200)
            let requests = try await proxy.upstream.waitForRequests(2)
            #expect(requests[1].values("cookie").isEmpty)
        }
    }
}
