import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Shared
import TestSupport
import Testing

/// `upstream_limits`: a struggling upstream gets no more than its connections; the excess waits
/// (bounded) or is answered at once.
@Suite(.endToEnd) struct UpstreamLimitsTests {
    /// `count` GETs at once, each on its own connection, as many clients would send them.
    static func concurrentGets(_ count: Int, _ url: String) async throws -> [TestResponse] {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: count)
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(60))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let responses = try await withThrowingTaskGroup(of: TestResponse.self) { group in
                for _ in 0..<count {
                    group.addTask {
                        let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(60))
                        var body = try await response.body.collect(upTo: 1024 * 1024)
                        return TestResponse(
                            status: Int(response.status.code), headers: response.headers,
                            body: Data(body.readBytes(length: body.readableBytes) ?? []))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            try await client.shutdown()
            return responses
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    @Test func aStalledUpstreamGetsAtMostItsConnectionsAndTheExcessIs503AtOnce() async throws {
        try await UpstreamPoolFixture.with(
            [.hang],
            endpoints: { bases in
                [
                    .pool(
                        "svc", [UpstreamConfig(url: bases[0])],
                        limits: UpstreamLimits(maxConnections: 10, maxPending: 0), timeout: 2)
                ]
            }
        ) { proxy in
            let responses = try await Self.concurrentGets(50, proxy.url("/orchestrator/svc/x"))
            let overloaded = responses.filter { $0.status == 503 }
            #expect(overloaded.count == 40, "\(responses.map(\.status))")
            #expect(overloaded.allSatisfy { $0.detail == "Upstream overloaded" })
            #expect(responses.filter { $0.status == 504 }.count == 10)
            #expect(proxy.upstreams[0].mostOpenConnections <= 10)
        }
    }

    @Test func requestsBeyondTheConnectionsWaitForOneAndAllSucceed() async throws {
        try await UpstreamPoolFixture.with(
            [.delayed(milliseconds: 100, body: "ok")],
            endpoints: { bases in
                [
                    .pool(
                        "svc", [UpstreamConfig(url: bases[0])],
                        limits: UpstreamLimits(maxConnections: 2, maxPending: 50))
                ]
            }
        ) { proxy in
            let responses = try await Self.concurrentGets(12, proxy.url("/orchestrator/svc/x"))
            #expect(responses.map(\.status) == Array(repeating: 200, count: 12))
            #expect(proxy.upstreams[0].mostOpenConnections <= 2)
        }
    }

    @Test func theExcessOfAStalledUpstreamIsServedByTheOtherUpstreamOfThePool() async throws {
        try await UpstreamPoolFixture.with(
            [.hang, .echo],
            endpoints: { bases in
                [
                    .pool(
                        "svc", bases.map { UpstreamConfig(url: $0) },
                        retry: RetryPolicy(attempts: 1, minPerSecond: 1000),
                        limits: UpstreamLimits(maxConnections: 5, maxPending: 0), timeout: 3)
                ]
            }
        ) { proxy in
            // Twelve requests at once: the stalled upstream takes five and holds them.
            async let held = Self.concurrentGets(12, proxy.url("/orchestrator/svc/x"))
            _ = try await eventually("the stalled upstream holds five connections") {
                proxy.upstreams[0].mostOpenConnections >= 5 ? true : nil
            }
            var statuses: [Int] = []
            for _ in 0..<20 {
                statuses.append(try await TestHTTP.request(.GET, proxy.url("/orchestrator/svc/x")).status)
            }
            #expect(statuses == Array(repeating: 200, count: 20))
            let first = try await held
            #expect(first.filter { $0.status == 504 }.count == 5, "\(first.map(\.status))")
            #expect(proxy.upstreams[0].mostOpenConnections == 5)
        }
    }
}
