import Foundation
import NIOHTTP1
import TestSupport
import Testing

/// Upstream failures become the seed's gateway statuses.
@Suite(.endToEnd) struct ProxyFailureTests {
    @Test func upstreamThatNeverAnswersTimesOutWith504AfterTheEndpointsTimeout() async throws {
        try await ProxyFixture.with(.hang) { proxy in
            let started = Date()
            let response = try await TestHTTP.request(.GET, proxy.url("/orchestrator/slow/x"))
            let elapsed = Date().timeIntervalSince(started)
            #expect(response.status == 504)
            #expect(response.detail == "Gateway timeout")
            #expect(response.headers["x-endpoint-id"] == ["slow"])
            // Not before the endpoint's 1 s timeout (the status and detail say which timeout fired).
            #expect(elapsed >= 0.9)
        }
    }

    @Test func refusedConnectionIs502() async throws {
        try await ProxyFixture.with { proxy in
            let response = try await TestHTTP.request(.GET, proxy.url("/orchestrator/dead/x"))
            #expect(response.status == 502)
            #expect(response.detail == "Bad gateway - connection error")
        }
    }

    @Test func upstreamClosingWithoutAnAnswerIs502() async throws {
        try await ProxyFixture.with(.closeWithoutResponse) { proxy in
            let response = try await TestHTTP.request(.GET, proxy.url("/orchestrator/svc/x"))
            #expect(response.status == 502)
            #expect(response.detail?.hasPrefix("Orchestration error - ") == true)
        }
    }

    @Test func stoppedUpstreamIs502AndTheProxyStaysUp() async throws {
        try await ProxyFixture.with { proxy in
            #expect(try await TestHTTP.request(.GET, proxy.url("/orchestrator/svc/x")).status == 200)
            await proxy.upstream.stop()
            let refused = try await TestHTTP.request(.GET, proxy.url("/orchestrator/svc/x"))
            #expect(refused.status == 502)
            #expect(try await TestHTTP.request(.GET, proxy.url("/health")).status == 200)
        }
    }
}
