import Foundation
import TestSupport
import Testing

/// End to end through a supervised replica: every response the gateway answers itself carries
/// the access log's `reason`, so the 503s of a disabled, an unhealthy and a breaker-open endpoint,
/// and a refused connect and a reset, can be told apart in the log; relayed answers carry none.
@Suite(.endToEnd, .serialized) struct AccessLogReasonTests {
    @Test func everyStatusTheGatewayAnswersItselfHasItsReasonInTheAccessLog() async throws {
        let good = try await UpstreamServer.start(.echo)
        let failing = try await UpstreamServer.start(.fixed(status: 500, headers: [], body: "broken"))
        let resetting = try await UpstreamServer.start(.closeWithoutResponse)
        let hanging = try await UpstreamServer.start(.hang)
        var failure: (any Error)?
        do {
            try await answeredRequests(good: good, failing: failing, resetting: resetting, hanging: hanging)
        } catch {
            failure = error
        }
        for upstream in [good, failing, resetting, hanging] { await upstream.stop() }
        if let failure { throw failure }
    }

    private func answeredRequests(
        good: UpstreamServer, failing: UpstreamServer, resetting: UpstreamServer, hanging: UpstreamServer
    ) async throws {
        let directory = try TestDirectory()
        let accessLog = directory.file("access.log").path
        let control = try await ControlPlaneHarness.start(
            config: """
                health_check:
                  enabled: false
                endpoints:
                  - name: ok
                    url: \(good.baseURL)/ok
                  - name: switched
                    url: \(good.baseURL)/switched
                    disabled: true
                  - name: sick
                    url: \(good.baseURL)/sick
                  - name: resting
                    url: \(good.baseURL)/resting
                  - name: flaky
                    url: \(failing.baseURL)/flaky
                    circuit_breaker:
                      failure_threshold: 1
                      reset_timeout: 300
                  - name: down
                    url: http://127.0.0.1:1/down
                  - name: reset
                    url: \(resetting.baseURL)/reset
                  - name: slow
                    url: \(hanging.baseURL)/slow
                    timeout: 1
                """, replicas: 1, arguments: ["--access-log", accessLog], directory: directory)
        defer { control.stop() }
        for (name, status) in [("sick", "unhealthy"), ("resting", "inactive")] {
            let response = try await control.admin(.PUT, "/registry/endpoints/\(name)/status?status=\(status)")
            #expect(response.status == 200, "\(response.text)")
        }
        let proxy = "http://127.0.0.1:\(control.proxyPort)"
        _ = try await eventually("the replica serves the statuses", timeout: 60) { () -> Bool? in
            let sick = try? await TestHTTP.request(.GET, proxy + "/orchestrator/sick/x")
            let resting = try? await TestHTTP.request(.GET, proxy + "/orchestrator/resting/x")
            return sick?.status == 503 && resting?.status == 503 ? true : nil
        }
        // The first 500 opens flaky's breaker (threshold 1).
        #expect(try await TestHTTP.request(.GET, proxy + "/orchestrator/flaky/x").status == 500)

        // path -> (status, reason); nil reason: relayed from the upstream whole.
        let cases: [(method: String, path: String, status: Int, reason: String?)] = [
            ("GET", "/orchestrator/ok/x", 200, nil),
            ("GET", "/orchestrator/nowhere/x", 404, "no_route"),
            ("POST", "/orchestrator/ok/x", 405, "method"),
            ("GET", "/orchestrator/switched/x", 503, "disabled"),
            ("GET", "/orchestrator/sick/x", 503, "unhealthy"),
            ("GET", "/orchestrator/resting/x", 503, "inactive"),
            ("GET", "/orchestrator/flaky/x", 503, "breaker_open"),
            ("GET", "/orchestrator/down/x", 502, "connect_failed"),
            ("GET", "/orchestrator/reset/x", 502, "upstream_reset"),
            ("GET", "/orchestrator/slow/x", 504, "timeout"),
            ("GET", "/orchestrator/ok/%2e%2e/x", 400, "bad_request"),
            ("GET", "/health", 200, "health"),
        ]
        var ids: [String: (status: Int, reason: String?)] = [:]
        for item in cases {
            let response = try await TestHTTP.request(
                item.method == "POST" ? .POST : .GET, proxy + item.path, headers: [("Connection", "close")])
            #expect(response.status == item.status, "\(item.method) \(item.path)")
            let id = try #require(response.headers.first(name: "x-request-id"), "\(item.path) has no request id")
            ids[id] = (item.status, item.reason)
        }
        let lines = try await eventually("an access-log line for each request", timeout: 60) {
            () -> [String: [String: Any]]? in
            let text = (try? String(contentsOfFile: accessLog, encoding: .utf8)) ?? ""
            let byID = Dictionary(
                AccessLogTests.jsonLines(text).map { ($0["request_id"] as? String ?? "", $0) },
                uniquingKeysWith: { first, _ in first })
            return ids.keys.allSatisfy { byID[$0] != nil } ? byID : nil
        }
        for (id, expected) in ids {
            let line = try #require(lines[id])
            #expect(line["status"] as? Int == expected.status, "\(line)")
            if let reason = expected.reason {
                #expect(line["reason"] as? String == reason, "\(line)")
            } else {
                #expect(line["reason"] is NSNull, "\(line)")
            }
        }
    }
}
