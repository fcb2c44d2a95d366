import Foundation
import NIOHTTP1
import TestSupport
import Testing

/// Routing through the real binary to a real upstream: what arrives upstream, and the statuses
/// the gateway answers itself.
@Suite(.endToEnd) struct ProxyRoutingTests {
    @Test func subPathsAndRawQueriesArriveExactlyAsSent() async throws {
        try await ProxyFixture.with { proxy in
            let cases: [(String, String)] = [
                ("/orchestrator/svc/users/42?a=1&a=2&b=%20x", "/api/users/42?a=1&a=2&b=%20x"),
                ("/orchestrator/v1/svc/items/7", "/api/items/7"),
                ("/orchestrator/svc", "/api"),
                ("/orchestrator/svc/deep/er/path/", "/api/deep/er/path/"),
                ("/orchestrator/q/x?y=2&y=3", "/q/x?fixed=1&y=2&y=3"),
                ("/orchestrator/q", "/q?fixed=1"),
            ]
            for (index, (path, expected)) in cases.enumerated() {
                let response = try await DataPlaneRawClient.exchange(
                    port: proxy.port, "GET \(path) HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n")
                #expect(response.status == 200, "\(path)")
                let requests = try await proxy.upstream.waitForRequests(index + 1)
                #expect(requests[index].uri == expected, "\(path)")
            }
        }
    }

    @Test func everyMethodIsForwarded() async throws {
        try await ProxyFixture.with { proxy in
            let methods: [HTTPMethod] = [.GET, .POST, .PUT, .DELETE, .PATCH, .OPTIONS]
            for method in methods {
                let response = try await TestHTTP.request(method, proxy.url("/orchestrator/svc/m"))
                #expect(response.status == 200, "\(method)")
                #expect(response.json["method"] as? String == method.rawValue)
            }
            let recorded = try await proxy.upstream.waitForRequests(methods.count)
            #expect(recorded.map(\.method) == methods.map(\.rawValue))
        }
    }

    @Test func headGetsTheHeadersWithoutABody() async throws {
        try await ProxyFixture.with(.fixed(status: 200, headers: [("content-type", "text/plain")], body: "hello")) {
            proxy in
            let response = try await DataPlaneRawClient.exchange(
                port: proxy.port, "HEAD /orchestrator/svc/h HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n")
            #expect(response.status == 200)
            #expect(response.values("content-length") == ["5"])
            #expect(response.body.isEmpty)
            #expect(response.closedByServer)
            #expect(try await proxy.upstream.waitForRequests(1)[0].method == "HEAD")
        }
    }

    @Test func unknownEndpointIs404() async throws {
        try await ProxyFixture.with { proxy in
            let response = try await TestHTTP.request(.GET, proxy.url("/orchestrator/nope/x"))
            #expect(response.status == 404)
            #expect(response.detail == "No endpoint found for path: nope/x")
            #expect(response.headers.first(name: "x-request-id") != nil)
            #expect(proxy.upstream.requests.isEmpty)
        }
    }

    @Test func wrongMethodIs405WithAllowEvenOnAnUnhealthyEndpoint() async throws {
        try await ProxyFixture.with { proxy in
            let response = try await TestHTTP.request(.DELETE, proxy.url("/orchestrator/ro/x"))
            #expect(response.status == 405)
            #expect(response.headers["allow"] == ["GET, POST"])
            #expect(response.detail == "Method DELETE not allowed. Allowed: GET, POST")
            let sick = try await TestHTTP.request(.POST, proxy.url("/orchestrator/sick/x"))
            #expect(sick.status == 405)
            #expect(sick.headers["allow"] == ["GET"])
        }
    }

    @Test(arguments: ["/orchestrator/svc/../x", "/orchestrator/svc/%2e%2e/x", "/orchestrator/svc/a/%2E/b"])
    func dotSegmentsAre400(_ path: String) async throws {
        try await ProxyFixture.with { proxy in
            let response = try await DataPlaneRawClient.exchange(
                port: proxy.port, "GET \(path) HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n")
            #expect(response.status == 400)
            #expect(String(decoding: response.body, as: UTF8.self).contains("detail"))
            #expect(proxy.upstream.requests.isEmpty)
        }
    }

    @Test func blockedEndpointsAre503() async throws {
        try await ProxyFixture.with { proxy in
            let expected = [
                ("off", "Endpoint is disabled"), ("paused", "Endpoint is inactive"), ("sick", "Endpoint is unhealthy"),
                ("forced", "Endpoint is unhealthy"),
            ]
            for (name, detail) in expected {
                let response = try await TestHTTP.request(.GET, proxy.url("/orchestrator/\(name)/x"))
                #expect(response.status == 503, "\(name)")
                #expect(response.detail == detail)
                #expect(response.headers["x-endpoint-id"] == [name])
            }
            #expect(proxy.upstream.requests.isEmpty)
        }
    }

    @Test func redirectsPassThroughUnfollowed() async throws {
        try await ProxyFixture.with(.fixed(status: 302, headers: [("location", "/elsewhere")], body: "")) { proxy in
            let response = try await TestHTTP.request(.GET, proxy.url("/orchestrator/svc/r"))
            #expect(response.status == 302)
            #expect(response.headers["location"] == ["/elsewhere"])
            #expect(proxy.upstream.requests.count == 1)
        }
    }

    @Test func healthReportsTheSnapshotHeld() async throws {
        try await ProxyFixture.with { proxy in
            let response = try await TestHTTP.request(.GET, proxy.url("/health"))
            #expect(response.status == 200)
            #expect(response.json["status"] as? String == "ok")
            #expect(response.json["snapshot_version"] as? Int == 1)
            #expect(response.json["endpoints"] as? Int == ProxyFixture.standardEndpoints("").count)
            #expect(response.json["replica_id"] as? String == "test-replica")
            #expect(response.json["uptime_s"] as? Int != nil)
        }
    }

    @Test func pipelinedRequestsShareOneKeptAliveUpstreamConnection() async throws {
        try await ProxyFixture.with { proxy in
            let get = "GET /orchestrator/svc/k HTTP/1.1\r\nHost: gw\r\n\r\n"
            let last = "GET /orchestrator/svc/last HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n"
            let response = try await DataPlaneRawClient.exchange(port: proxy.port, get + get + last)
            let text = String(decoding: response.bytes, as: UTF8.self)
            #expect(text.components(separatedBy: "HTTP/1.1 200 OK").count - 1 == 3)
            #expect(response.closedByServer)
            let requests = try await proxy.upstream.waitForRequests(3)
            #expect(requests.map(\.uri) == ["/api/k", "/api/k", "/api/last"])
            #expect(Set(requests.map(\.connection)).count == 1)
        }
    }
}
