import AdminAPI
import Foundation
import TestSupport
import Testing

/// `/docs`, `/openapi.json` and the status page's login against a real control plane.
@Suite(.endToEnd) struct StatusPageAccessTests {
    static let config = """
        endpoints:
          - name: orders
            url: http://127.0.0.1:9/orders
          - name: billing
            url: http://127.0.0.1:9/billing
        """

    @Test func docsAreServedWithoutAToken() async throws {
        let gateway = try await ControlPlaneHarness.start(config: nil)
        defer { gateway.stop() }
        let document = try await gateway.admin(.GET, "/openapi.json", headers: [])
        #expect(document.status == 200)
        #expect(document.headers.first(name: "content-type") == "application/json")
        #expect(document.json["openapi"] as? String == "3.0.3")
        let page = try await gateway.admin(.GET, "/docs", headers: [])
        #expect(page.status == 200)
        #expect(page.headers.first(name: "content-type")?.hasPrefix("text/html") == true)
        #expect(page.text.contains("fetch(\"/openapi.json\")"))
        #expect(
            !page.text.contains("http://") && !page.text.contains("https://"), "the page must load nothing external")
    }

    @Test func loginFormCookieAndData() async throws {
        let gateway = try await ControlPlaneHarness.start(config: Self.config)
        defer { gateway.stop() }

        let anonymous = try await gateway.admin(.GET, "/status", headers: [])
        #expect(anonymous.status == 401)
        #expect(anonymous.headers.first(name: "content-type")?.hasPrefix("text/html") == true)
        #expect(anonymous.text.contains("<form method=\"post\" action=\"/status/login\""))
        #expect(try await gateway.admin(.GET, "/status/data", headers: []).status == 401)

        let form = [("Content-Type", "application/x-www-form-urlencoded")]
        let wrong = try await TestHTTP.request(
            .POST, gateway.adminURL + "/status/login", headers: form, body: Data("token=guess".utf8))
        #expect(wrong.status == 401)
        #expect(wrong.text.contains("Wrong token"))
        #expect(wrong.headers.first(name: "set-cookie") == nil)

        let right = try await TestHTTP.request(
            .POST, gateway.adminURL + "/status/login", headers: form, body: Data("token=\(gateway.token)".utf8))
        #expect(right.status == 303)
        #expect(right.headers.first(name: "location") == "/status")
        let setCookie = try #require(right.headers.first(name: "set-cookie"))
        #expect(
            setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict")
                && setCookie.contains("Path=/status"))
        #expect(!setCookie.contains(gateway.token), "the cookie must not carry the admin token")
        let cookie = [("Cookie", String(setCookie.prefix { $0 != ";" }))]

        let page = try await gateway.admin(.GET, "/status", headers: cookie)
        #expect(page.status == 200)
        #expect(page.text.contains("/status/data"))
        let data = try await gateway.admin(.GET, "/status/data", headers: cookie)
        #expect(data.status == 200)
        let status = try data.decode(StatusData.self)
        #expect(Set(status.endpoints.map(\.name)) == ["orders", "billing"])
        let endpoint = try #require(status.endpoints.first)
        #expect(endpoint.traffic == nil, "no replica reported traffic")
        // Present as `null`, not missing.
        #expect((data.json["endpoints"] as? [[String: Any]])?.first?["traffic"] is NSNull)
        #expect(status.config.ok == true)
        #expect(try await gateway.admin(.GET, "/status/data").status == 200)

        // The cookie opens the status page only, and a forged one opens nothing.
        #expect(try await gateway.admin(.GET, "/registry/endpoints", headers: cookie).status == 401)
        let forged = [("Cookie", "orch_status=\(gateway.token)")]
        #expect(try await gateway.admin(.GET, "/status/data", headers: forged).status == 401)
    }

    @Test func afterTenWrongTokensTheLoginIsRefusedWithoutCheckingEvenTheRightOne() async throws {
        let gateway = try await ControlPlaneHarness.start(config: Self.config)
        defer { gateway.stop() }
        let form = [("Content-Type", "application/x-www-form-urlencoded")]
        func login(_ token: String) async throws -> TestResponse {
            try await TestHTTP.request(
                .POST, gateway.adminURL + "/status/login", headers: form, body: Data("token=\(token)".utf8))
        }
        for attempt in 1...10 {
            #expect(try await login("guess\(attempt)").status == 401)
        }
        let refused = try await login(gateway.token)
        #expect(refused.status == 429)
        #expect(refused.text.contains("Too many wrong tokens"))
        #expect(refused.headers.first(name: "set-cookie") == nil)
        let retryAfter = try #require(refused.headers.first(name: "retry-after").flatMap { Int($0) })
        #expect((1...6).contains(retryAfter))
        // The bearer token of the admin API is not affected.
        #expect(try await gateway.admin(.GET, "/registry/endpoints").status == 200)
    }
}
