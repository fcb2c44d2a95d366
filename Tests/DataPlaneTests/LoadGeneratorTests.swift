import LoadGenerator
import TestSupport
import Testing

/// The load client the rollout and chaos tests rely on: it must count every request and every
/// kind of failure, or a "zero failures" assertion proves nothing.
@Suite(.endToEnd) struct LoadGeneratorTests {
    @Test func countsEveryResponseAndSortsFailuresByKind() async throws {
        let ok = try await UpstreamServer.start(.fixed(status: 200, headers: [], body: "ok"))
        defer { Task { await ok.stop() } }
        let failing = try await UpstreamServer.start(.fixed(status: 503, headers: [], body: "no"))
        defer { Task { await failing.stop() } }
        let closed = try await UpstreamServer.start(.closeWithoutResponse)
        defer { Task { await closed.stop() } }

        let generator = LoadGenerator.start(
            .init(
                targets: [
                    LoadTarget(name: "ok", url: ok.baseURL + "/a"),
                    LoadTarget(name: "failing", url: failing.baseURL + "/b"),
                    LoadTarget(name: "closed", url: closed.baseURL + "/c"),
                ],
                requestsPerSecond: 300,
                requestTimeoutSeconds: 20
            ))
        _ = try await eventually("30 requests sent", timeout: 60) { () -> Bool? in
            generator.snapshot().sent >= 30 ? true : nil
        }
        let summary = await generator.stop()

        let okTarget = try #require(summary.targets["ok"])
        let failingTarget = try #require(summary.targets["failing"])
        let closedTarget = try #require(summary.targets["closed"])
        #expect(okTarget.failed == 0)
        #expect(okTarget.succeeded == okTarget.sent)
        #expect(ok.requests.count == okTarget.sent)
        #expect(failingTarget.statuses[503] == failingTarget.sent)
        #expect(failingTarget.failed == failingTarget.sent)
        #expect(closedTarget.resets + closedTarget.otherErrors == closedTarget.sent)
        #expect(closedTarget.failed == closedTarget.sent)
        #expect(summary.sent == okTarget.sent + failingTarget.sent + closedTarget.sent)
        #expect(okTarget.p99Seconds >= okTarget.p50Seconds)
    }

    /// The race a keep-alive client cannot avoid and must not hide: the server closes a
    /// connection it had kept alive just as the client sends its next request on it. Like
    /// Python's http.client, the client writes, finds the connection closed, and counts the
    /// request as failed; it neither retries nor checks the connection before reusing it.
    @Test func aRequestOnAConnectionTheServerClosedIsAFailure() async throws {
        let upstream = try await UpstreamServer.start(.answerThenClose(body: "ok"))
        defer { Task { await upstream.stop() } }
        let generator = LoadGenerator.start(
            .init(targets: [LoadTarget(name: "t", url: upstream.baseURL + "/a")], mode: .keepAlive(connections: 1)))
        _ = try await eventually("20 requests sent", timeout: 60) { () -> Bool? in
            generator.snapshot().sent >= 20 ? true : nil
        }
        let summary = await generator.stop()
        let target = try #require(summary.targets["t"])
        // Each answer is followed by a request into the closed connection, then a new connection.
        #expect(target.succeeded >= 5)
        #expect(target.resets >= 5)
        #expect(target.failed == target.resets)
        // Which of the two the client sees depends on whether the server's close reached it
        // before its request reached the closed socket (which answers with a reset).
        #expect(
            target.sampleErrors.allSatisfy { $0 == "connection closed without response" || $0.contains("errno: 104") },
            "\(target.sampleErrors)")
        #expect(abs(target.succeeded - target.resets) <= 1)
        #expect(upstream.requests.count == target.succeeded)
    }

    @Test func anOpenLoopCountsLikeTheKeepAliveClient() async throws {
        let ok = try await UpstreamServer.start(.fixed(status: 200, headers: [], body: "ok"))
        defer { Task { await ok.stop() } }
        let summary = await LoadGenerator.start(
            .init(targets: [LoadTarget(name: "ok", url: ok.baseURL + "/a")], requestsPerSecond: 100, mode: .openLoop)
        ).run(forSeconds: 0.5)
        let target = try #require(summary.targets["ok"])
        #expect(target.sent > 0)
        #expect(target.failed == 0)
        #expect(ok.requests.count == target.sent)
    }

    @Test func aClosedPortIsAConnectError() async throws {
        let closed = try ClosedPort()
        let url = "http://127.0.0.1:\(closed.port)/gone"
        let summary = await LoadGenerator.start(
            .init(targets: [LoadTarget(name: "gone", url: url)], requestsPerSecond: 50)
        ).run(forSeconds: 2)
        let target = try #require(summary.targets["gone"])
        #expect(target.sent > 0)
        // Refused, or (on a loaded machine) still not connected when the request's time ran out.
        #expect(target.connectErrors + target.timeouts == target.sent, "\(target.sampleErrors)")
        #expect(target.connectErrors >= 1 || target.timeouts >= 1)
        withExtendedLifetime(closed) {}
    }

    @Test func parsesTargetArguments() {
        #expect(LoadTarget(argument: "a=http://127.0.0.1:1/x") == LoadTarget(name: "a", url: "http://127.0.0.1:1/x"))
        #expect(LoadTarget(argument: "http://h/x=y")?.name == "http://h/x=y")
        #expect(LoadTarget(argument: "a=ftp://h") == nil)
        #expect(LoadTarget(argument: "nonsense") == nil)
    }
}
