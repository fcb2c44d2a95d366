import Foundation
import NIOHTTP1
import Shared
import TestSupport
import Testing

/// Endpoints with several upstreams: how requests spread, and what a refusing upstream costs.
@Suite(.endToEnd) struct UpstreamPoolTests {
    @Test func roundRobinSplitsFortyRequestsTwentyTwenty() async throws {
        try await UpstreamPoolFixture.with(
            [.echo, .echo],
            endpoints: { bases in
                [.pool("svc", bases.map { UpstreamConfig(url: $0 + "/api") })]
            }
        ) { proxy in
            for _ in 0..<40 {
                let response = try await TestHTTP.request(.GET, proxy.url("/orchestrator/svc/x"))
                #expect(response.status == 200)
            }
            #expect(proxy.upstreams.map(\.requests.count) == [20, 20])
        }
    }

    @Test func weightsThreeToOneSplitFourHundredRequestsWithinTenPercent() async throws {
        try await UpstreamPoolFixture.with(
            [.echo, .echo],
            endpoints: { bases in
                [.pool("svc", [UpstreamConfig(url: bases[0], weight: 3), UpstreamConfig(url: bases[1], weight: 1)])]
            }
        ) { proxy in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        for _ in 0..<100 {
                            let response = try await TestHTTP.request(.GET, proxy.url("/orchestrator/svc/x"))
                            #expect(response.status == 200, "\(response.text)")
                        }
                    }
                }
                try await group.waitForAll()
            }
            let counts = proxy.upstreams.map(\.requests.count)
            #expect(counts.reduce(0, +) == 400)
            #expect((270...330).contains(counts[0]), "\(counts)")
        }
    }

    @Test func leastRequestSendsMostRequestsToTheFastUpstream() async throws {
        try await UpstreamPoolFixture.with(
            [.delayed(milliseconds: 300, body: "slow"), .echo],
            endpoints: { bases in
                [.pool("svc", bases.map { UpstreamConfig(url: $0) }, balancing: .leastRequest)]
            }
        ) { proxy in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        for _ in 0..<25 {
                            let response = try await TestHTTP.request(.GET, proxy.url("/orchestrator/svc/x"))
                            #expect(response.status == 200, "\(response.text)")
                        }
                    }
                }
                try await group.waitForAll()
            }
            let counts = proxy.upstreams.map(\.requests.count)
            #expect(counts.reduce(0, +) == 200)
            #expect(Double(counts[1]) >= 0.75 * 200, "\(counts)")
        }
    }

    @Test func eachUpstreamKeepsItsOwnBasePathQueryAndHost() async throws {
        try await UpstreamPoolFixture.with(
            [.echo, .echo],
            endpoints: { bases in
                [.pool("svc", [UpstreamConfig(url: bases[0] + "/one?a=1"), UpstreamConfig(url: bases[1] + "/two")])]
            }
        ) { proxy in
            for _ in 0..<2 {
                let response = try await TestHTTP.request(.GET, proxy.url("/orchestrator/svc/x?q=2"))
                #expect(response.status == 200)
            }
            let first = try #require(proxy.upstreams[0].requests.first)
            let second = try #require(proxy.upstreams[1].requests.first)
            #expect(first.uri == "/one/x?a=1&q=2")
            #expect(second.uri == "/two/x?q=2")
            #expect(first.first("host") == String(proxy.upstreams[0].baseURL.dropFirst("http://".count)))
            #expect(second.first("host") == String(proxy.upstreams[1].baseURL.dropFirst("http://".count)))
        }
    }

    @Test func refusedConnectionsAreRetriedOnTheOtherUpstreamForGetsAndPosts() async throws {
        try await UpstreamPoolFixture.with(
            [.echo],
            endpoints: { bases in
                // Nothing listens on port 1 of the loopback interface: connections are refused.
                [.pool("svc", [UpstreamConfig(url: "http://127.0.0.1:1/dead"), UpstreamConfig(url: bases[0])])]
            }
        ) { proxy in
            var failed = 0
            for index in 0..<400 {
                let method: HTTPMethod = index % 2 == 0 ? .GET : .POST
                let body = method == .POST ? Data("payload \(index)".utf8) : nil
                let response = try await TestHTTP.request(method, proxy.url("/orchestrator/svc/x"), body: body)
                if response.status != 200 { failed += 1 }
            }
            #expect(failed == 0)
            let posts = proxy.upstreams[0].requests.filter { $0.method == "POST" }
            #expect(posts.count == 200)
        }
    }

    @Test func aSingleUpstreamThatRefusesIsStillA502() async throws {
        try await UpstreamPoolFixture.with(
            [],
            endpoints: { _ in
                [.pool("svc", [UpstreamConfig(url: "http://127.0.0.1:1/dead")])]
            }
        ) { proxy in
            let response = try await TestHTTP.request(.GET, proxy.url("/orchestrator/svc/x"))
            #expect(response.status == 502)
            #expect(response.detail == "Bad gateway - connection error")
        }
    }

    @Test func everyGetSucceedsWhenOneUpstreamAnswers503AndEachPostReachesAnUpstreamOnce() async throws {
        let unavailable = UpstreamBehaviour.fixed(status: 503, headers: [], body: "busy")
        try await UpstreamPoolFixture.with(
            [unavailable, .echo],
            endpoints: { bases in
                [
                    .pool(
                        "svc", bases.map { UpstreamConfig(url: $0) }, methods: ["GET", "POST"],
                        retry: RetryPolicy(attempts: 1, on: ["503"], minPerSecond: 1000))
                ]
            }
        ) { proxy in
            var statuses: [Int] = []
            for _ in 0..<100 {
                statuses.append(try await TestHTTP.request(.GET, proxy.url("/orchestrator/svc/x")).status)
            }
            #expect(statuses.allSatisfy { $0 == 200 }, "\(statuses)")
            var postStatuses: [Int] = []
            for index in 0..<50 {
                let response = try await TestHTTP.request(
                    .POST, proxy.url("/orchestrator/svc/x"), body: Data("post \(index)".utf8))
                postStatuses.append(response.status)
            }
            let posts = proxy.upstreams.flatMap(\.requests).filter { $0.method == "POST" }
            #expect(posts.count == 50)
            #expect(Set(posts.compactMap(\.body)).count == 50)
            // Round robin sends half of them to the upstream that answers 503, which is relayed.
            #expect(
                postStatuses.filter { $0 == 503 }.count
                    == proxy.upstreams[0].requests.filter { $0.method == "POST" }.count)
        }
    }

    @Test func aGetThatGetsNoAnswerWithinThePerTryTimeoutGoesToTheOtherUpstream() async throws {
        try await UpstreamPoolFixture.with(
            [.hang, .echo],
            endpoints: { bases in
                [
                    .pool(
                        "svc", bases.map { UpstreamConfig(url: $0) },
                        retry: RetryPolicy(attempts: 1, perTryTimeout: 0.5), timeout: 30)
                ]
            }
        ) { proxy in
            for _ in 0..<4 {
                let response = try await TestHTTP.request(.GET, proxy.url("/orchestrator/svc/x"))
                #expect(response.status == 200)
            }
            #expect(proxy.upstreams[1].requests.count == 4)
        }
    }
}
