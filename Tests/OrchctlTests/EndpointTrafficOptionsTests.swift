import AdminAPI
import Foundation
import Shared
import TestSupport
import Testing

/// `orchctl endpoint add/update` with a pool, a balancing policy, retries and a rate limit,
/// against a real control plane.
@Suite(.endToEnd) struct EndpointTrafficOptionsTests {
    @Test func aPoolWithPoliciesIsAddedThenUpdatedWithoutLosingWhatWasNotGiven() async throws {
        let gateway = try await ControlPlaneHarness.start(config: nil)
        defer { gateway.stop() }

        let added = try await gateway.orchctl(
            "endpoint", "add", "pool", "--upstream", "http://127.0.0.1:9/a=3", "--upstream", "http://127.0.0.1:10/b",
            "--lb", "least_request", "--retry-attempts", "2", "--retry-on", "503", "--retry-on", "5XX", "--rate-limit",
            "5/s", "--burst", "10",
            "--rate-limit-key", "header:X-API-Key")
        #expect(added.status == 0, "\(added)")
        var details = try await gateway.orchctlJSON(EndpointDetails.self, "endpoint", "get", "pool")
        #expect(
            details.upstreams?.map(\.config) == [
                UpstreamConfig(url: "http://127.0.0.1:9/a", weight: 3), UpstreamConfig(url: "http://127.0.0.1:10/b"),
            ])
        #expect(details.url == "http://127.0.0.1:9/a")
        #expect(details.loadBalancing == .leastRequest)
        #expect(details.retry == RetryPolicy(attempts: 2, on: ["503", "5xx"]))
        #expect(details.rateLimit == RateLimitPolicy(requestsPerSecond: 5, burst: 10, key: .header("x-api-key")))

        let updated = try await gateway.orchctl("endpoint", "update", "pool", "--burst", "20", "--timeout", "9")
        #expect(updated.status == 0, "\(updated)")
        details = try await gateway.orchctlJSON(EndpointDetails.self, "endpoint", "get", "pool")
        #expect(details.upstreams?.count == 2)
        #expect(details.loadBalancing == .leastRequest)
        #expect(details.rateLimit == RateLimitPolicy(requestsPerSecond: 5, burst: 20, key: .header("x-api-key")))
        #expect(details.timeout == 9)

        // People read each upstream's state in `get` and `status`.
        let shown = try await gateway.orchctl("endpoint", "get", "pool")
        #expect(shown.stdout.contains("UPSTREAM"), "\(shown)")
        #expect(shown.stdout.contains("http://127.0.0.1:10/b"), "\(shown)")
        #expect(shown.stdout.contains("least_request"), "\(shown)")
        let status = try await gateway.orchctl("status")
        #expect(status.stdout.contains("└ upstream"), "\(status)")
        #expect(status.stdout.contains("http://127.0.0.1:9/a (weight 3, 0 in flight)"), "\(status)")

        let single = try await gateway.orchctl("endpoint", "update", "pool", "--url", "http://127.0.0.1:11/one")
        #expect(single.status == 0, "\(single)")
        details = try await gateway.orchctlJSON(EndpointDetails.self, "endpoint", "get", "pool")
        #expect(details.upstreams == nil)
        #expect(details.url == "http://127.0.0.1:11/one")
    }

    @Test func urlAndUpstreamTogetherOrNeitherAreRefusedBeforeAnyRequest() async throws {
        let gateway = try await ControlPlaneHarness.start(config: nil)
        defer { gateway.stop() }
        let both = try await gateway.orchctl(
            "endpoint", "add", "x", "--url", "http://127.0.0.1:9/", "--upstream", "http://127.0.0.1:10/")
        #expect(both.status != 0)
        #expect(both.stderr.contains("either --url or one or more --upstream"), "\(both)")
        let neither = try await gateway.orchctl("endpoint", "add", "x")
        #expect(neither.status != 0)
        let badKey = try await gateway.orchctl(
            "endpoint", "add", "x", "--url", "http://127.0.0.1:9/", "--rate-limit", "5", "--rate-limit-key", "cookie")
        #expect(badKey.status != 0)
        #expect(badKey.stderr.contains("--rate-limit-key"), "\(badKey)")
    }
}

extension ControlPlaneHarness {
    /// Runs orchctl with `--output json` and decodes its output.
    func orchctlJSON<Value: Decodable>(_ type: Value.Type, _ arguments: String...) async throws -> Value {
        let result = try await OrchctlRunner.run(
            ["--admin-url", adminURL, "--token", token] + arguments + ["--output", "json"], environment: [:],
            directory: directory.url, stdin: nil)
        try #require(result.status == 0, "\(result)")
        return try JSONDecoder().decode(type, from: Data(result.stdout.utf8))
    }
}
