import Foundation
import NIOHTTP1
import Shared
import TestSupport
import Testing

/// Endpoints with a `rate_limit:`, through a real replica.
@Suite(.endToEnd) struct RateLimitEndToEndTests {
    static func limited(_ bases: [String], key: RateLimitKey = .clientIP) -> [SnapshotEndpoint] {
        [
            .pool(
                "svc", [UpstreamConfig(url: bases[0])],
                rateLimit: RateLimitPolicy(requestsPerSecond: 5, burst: 5, key: key)),
            .pool("free", [UpstreamConfig(url: bases[0] + "/free")]),
        ]
    }

    @Test func twentyBackToBackRequestsAgainstFivePerSecondLetFiveToSevenThrough() async throws {
        try await UpstreamPoolFixture.with([.echo], endpoints: { Self.limited($0) }) { proxy in
            var passed = 0
            for _ in 0..<20 {
                let response = try await TestHTTP.request(.GET, proxy.url("/orchestrator/svc/x"))
                #expect(response.headers["ratelimit-limit"] == ["5"])
                #expect(response.headers.first(name: "ratelimit-remaining") != nil)
                #expect(response.headers.first(name: "ratelimit-reset") != nil)
                if response.status == 200 {
                    passed += 1
                } else {
                    #expect(response.status == 429)
                    #expect(response.detail == "Rate limit exceeded")
                    let retryAfter = try #require(response.headers.first(name: "retry-after").flatMap { Int($0) })
                    #expect(retryAfter >= 1)
                }
            }
            #expect((5...7).contains(passed), "\(passed) passed")
            // Endpoints without a limit carry no limit fields.
            let free = try await TestHTTP.request(.GET, proxy.url("/orchestrator/free/x"))
            #expect(free.status == 200)
            #expect(free.headers["ratelimit-limit"].isEmpty)
        }
    }

    @Test func requestsPassAgainOnceTheBucketRefills() async throws {
        try await UpstreamPoolFixture.with([.echo], endpoints: { Self.limited($0) }) { proxy in
            var status = 200
            while status == 200 { status = try await TestHTTP.request(.GET, proxy.url("/orchestrator/svc/x")).status }
            #expect(status == 429)
            _ = try await eventually("a request passes after the refill", timeout: 10, interval: 0.05) {
                try await TestHTTP.request(.GET, proxy.url("/orchestrator/svc/x")).status == 200 ? true : nil
            }
        }
    }

    @Test func twoAPIKeysHaveSeparateBuckets() async throws {
        try await UpstreamPoolFixture.with([.echo], endpoints: { Self.limited($0, key: .header("x-api-key")) }) {
            proxy in
            func exhaust(_ key: String?) async throws -> Int {
                var passed = 0
                for _ in 0..<10 {
                    let headers = key.map { [("X-API-Key", $0)] } ?? []
                    let response = try await TestHTTP.request(.GET, proxy.url("/orchestrator/svc/x"), headers: headers)
                    if response.status == 200 { passed += 1 }
                }
                return passed
            }
            let first = try await exhaust("alpha")
            let second = try await exhaust("beta")
            let missing = try await exhaust(nil)
            #expect((5...7).contains(first))
            #expect((5...7).contains(second))
            // Requests without the header share one bucket of their own.
            #expect((5...7).contains(missing))
        }
    }
}
