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

    /// What a bucket of 5 refilled at 5/s lets through in `elapsed`: the burst, one request per
    /// 200 ms since, and one more for the request in flight at the edge.
    static func allowance(_ elapsed: Duration) -> ClosedRange<Int> {
        5...(5 + Int((Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18) * 5) + 1)
    }

    @Test func twentyBackToBackRequestsAgainstFivePerSecondLetFiveToSevenThrough() async throws {
        try await UpstreamPoolFixture.with([.echo], endpoints: { Self.limited($0) }) { proxy in
            var passed = 0
            let started = ContinuousClock.now
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
            // 5-7 when the twenty take at most 200 ms (as on an idle machine); a loaded machine
            // that takes longer sees the refill it gave the bucket, and no more.
            let allowed = Self.allowance(ContinuousClock.now - started)
            #expect(allowed.contains(passed), "\(passed) passed, \(allowed) allowed")
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
            /// How many of 10 back-to-back requests under `key` passed, and how many the bucket
            /// allowed in the time they took.
            func exhaust(_ key: String?) async throws -> (passed: Int, allowed: ClosedRange<Int>) {
                var passed = 0
                let started = ContinuousClock.now
                for _ in 0..<10 {
                    let headers = key.map { [("X-API-Key", $0)] } ?? []
                    let response = try await TestHTTP.request(.GET, proxy.url("/orchestrator/svc/x"), headers: headers)
                    if response.status == 200 { passed += 1 }
                }
                return (passed, Self.allowance(ContinuousClock.now - started))
            }
            // Each key gets a full bucket of its own; requests without the header share one too.
            for key in ["alpha", "beta", nil] {
                let (passed, allowed) = try await exhaust(key)
                #expect(allowed.contains(passed), "\(key ?? "no key"): \(passed) passed, \(allowed) allowed")
            }
        }
    }
}
