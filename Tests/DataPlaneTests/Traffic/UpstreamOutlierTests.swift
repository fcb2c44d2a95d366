import Foundation
import NIOHTTP1
import Shared
import TestSupport
import Testing

/// A pool's upstream that keeps failing is ejected by its own breaker: the others take its
/// traffic while the endpoint's breaker stays closed.
@Suite(.endToEnd) struct UpstreamOutlierTests {
    @Test func anUpstreamAnsweringFiveHundredsIsEjectedAfterTheBreakersThreshold() async throws {
        try await UpstreamPoolFixture.with(
            [.echo, .fixed(status: 500, headers: [], body: "broken")],
            endpoints: { bases in
                // POSTs are not retried on a status: every try's answer reaches the client.
                [.pool("svc", bases.map { UpstreamConfig(url: $0) })]
            }
        ) { proxy in
            var statuses: [Int] = []
            for _ in 0..<40 {
                let response = try await TestHTTP.request(.POST, proxy.url("/orchestrator/svc/x"), body: Data("a".utf8))
                statuses.append(response.status)
            }
            // The default policy opens after 5 failures in a row, for 60 s.
            let failing = proxy.upstreams[1].requests.count
            #expect(failing == BreakerPolicy.defaults.failureThreshold, "\(statuses)")
            #expect(statuses.filter { $0 == 500 }.count == failing)
            #expect(statuses.suffix(20).allSatisfy { $0 == 200 }, "\(statuses)")
            #expect(proxy.upstreams[0].requests.count == 40 - failing)
        }
    }

    @Test func aRetriedStatusThatIsNoBreakerFailureDoesNotEjectTheUpstream() async throws {
        try await UpstreamPoolFixture.with(
            [.echo, .fixed(status: 404, headers: [], body: "elsewhere")],
            endpoints: { bases in
                [
                    .pool(
                        "svc", bases.map { UpstreamConfig(url: $0) },
                        retry: RetryPolicy(attempts: 1, on: ["404"], minPerSecond: 100))
                ]
            }
        ) { proxy in
            for _ in 0..<40 {
                let response = try await TestHTTP.request(.GET, proxy.url("/orchestrator/svc/x"))
                #expect(response.status == 200)
            }
            // Round robin sends it every other first try; `failure_statuses` (5xx) keeps it closed.
            #expect(proxy.upstreams[1].requests.count >= 15, "\(proxy.upstreams.map(\.requests.count))")
        }
    }
}
