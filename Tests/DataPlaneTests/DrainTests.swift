import Foundation
import LoadGenerator
import Shared
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Graceful drain of a replica on its inherited socket: on SIGTERM or the control plane's
/// `drain` message it stops accepting, finishes requests in flight, answers the next request on
/// each kept-alive connection with `Connection: close`, and exits 0 once no connection is left.
@Suite(.endToEnd, .serialized) struct DrainTests {
    /// What the slow upstream answers, once the test releases it (after the drain has begun).
    static let slowBody = String(repeating: "slow-body-", count: 200)

    /// A replica whose only endpoint `slow` is served by `upstream`.
    static func startReplica(
        upstream: UpstreamServer, directory: TestDirectory? = nil, drainTimeout: Double = 30
    ) throws -> DataPlaneInheritedSocket {
        let replica = try DataPlaneInheritedSocket.start(
            cachedSnapshot: .testing(version: 1, [.testing("slow", url: upstream.baseURL + "/slow")]),
            directory: directory,
            drainTimeout: drainTimeout)
        replica.closeListenerInTest()
        return replica
    }

    /// A kept-alive connection that has already been answered once (so it is idle, not new).
    static func idleConnection(port: Int) async throws -> DrainClientConnection {
        let connection = try await DrainClientConnection.open(port: port)
        try await connection.send("/health")
        let first = try await connection.response(timeout: 60)
        #expect(first.status == 200)
        #expect(first.values("connection").first?.lowercased() != "close")
        return connection
    }

    static func waitForDrainLog(_ replica: DataPlaneInheritedSocket) async throws {
        _ = try await eventually("the replica to start draining", timeout: 30) {
            replica.errorOutput.contains("draining: no new connections") ? true : nil
        }
    }

    /// Checks what every drain must give: the slow request in flight completes in full, the
    /// next request on an idle kept-alive connection gets `Connection: close` (and a 503
    /// `draining` health answer), and the replica then exits 0 without waiting for its deadline.
    static func expectGracefulDrain(
        replica: DataPlaneInheritedSocket, upstream: UpstreamServer, slow: DrainClientConnection,
        idle: DrainClientConnection
    ) async throws {
        try await waitForDrainLog(replica)
        #expect(!idle.isClosed, "an idle kept-alive connection stays open during the drain")
        try await idle.send("/health")
        let health = try await idle.response()
        #expect(health.status == 503)
        #expect(String(decoding: health.body, as: UTF8.self).contains(#""status":"draining""#))
        #expect(health.values("connection").map { $0.lowercased() } == ["close"])
        try await idle.waitForClose()

        // Only now does the slow upstream answer: the drain is certain to have begun.
        upstream.releaseHeld()
        let completed = try await slow.response()
        #expect(completed.status == 200)
        #expect(String(decoding: completed.body, as: UTF8.self) == slowBody)
        #expect(completed.values("connection").map { $0.lowercased() } == ["close"])
        try await slow.waitForClose()

        // The drain deadline is 30 s away: exiting well within it means the replica left as soon
        // as its last connection closed.
        let status = replica.waitForExit(timeout: 25)
        #expect(status == 0, "replica exit status \(String(describing: status))\n\(replica.errorOutput)")
        #expect(!replica.errorOutput.contains("drain deadline passed"))
    }

    @Test func sigtermFinishesTheRequestInFlightAndClosesKeptAliveConnections() async throws {
        let upstream = try await UpstreamServer.start(
            .held(body: Self.slowBody))
        let replica = try Self.startReplica(upstream: upstream)
        defer { replica.stop() }
        let idle = try await Self.idleConnection(port: replica.port)
        defer { idle.close() }
        let slow = try await DrainClientConnection.open(port: replica.port)
        defer { slow.close() }
        try await slow.send("/orchestrator/slow/x")
        _ = try await upstream.waitForRequests(1)

        replica.signal(SIGTERM)
        try await Self.expectGracefulDrain(replica: replica, upstream: upstream, slow: slow, idle: idle)
        await upstream.stop()
    }

    @Test func drainMessageDrainsLikeSigtermAndIsReported() async throws {
        let upstream = try await UpstreamServer.start(
            .held(body: Self.slowBody))
        let directory = try TestDirectory()
        let control = try await DataPlaneControlServer.start(path: directory.file("cp.sock").path)
        let replica = try Self.startReplica(upstream: upstream, directory: directory)
        defer { replica.stop() }
        let connection = try await control.accept(timeout: 60)
        guard case .hello(let hello) = try await connection.receiveSkippingReports() else {
            Issue.record("expected hello first")
            return
        }
        #expect(hello.inheritedListener == true)

        let idle = try await Self.idleConnection(port: replica.port)
        defer { idle.close() }
        let slow = try await DrainClientConnection.open(port: replica.port)
        defer { slow.close() }
        try await slow.send("/orchestrator/slow/x")
        _ = try await upstream.waitForRequests(1)

        try await connection.send(.drain(deadlineSeconds: 30))
        _ = try await eventually("a report saying draining", timeout: 30) { () -> Bool? in
            guard case .report(let report) = try await connection.receive(timeout: 10) else { return nil }
            return report.draining == true ? true : nil
        }
        // A supervisor may also send SIGTERM: after the message it is the same request, not a
        // second one that would end the process at once.
        replica.signal(SIGTERM)
        try await Self.expectGracefulDrain(replica: replica, upstream: upstream, slow: slow, idle: idle)
        #expect(replica.errorOutput.contains("already draining"))
        await connection.close()
        await control.stop()
        await upstream.stop()
    }

    /// The rollout case in small: 8 clients that keep their connections alive with no idle
    /// timeout and send back to back (as Python's http.client, curl or wrk do) hold connections
    /// to one replica; a successor shares its socket; the old one gets the drain message. Each
    /// of its connections must get `Connection: close` on a response, the clients reconnect to
    /// the successor, and no request fails.
    @Test func drainMessageUnderBackToBackKeepAliveLoadLosesNoRequest() async throws {
        // Heads forwarded at once, bodies 20 ms later: when the drain begins, most connections
        // are in the middle of a response whose head already promised keep-alive.
        let upstream = try await UpstreamServer.start(.headFirst(bodyAfterMilliseconds: 20, body: "ok"))
        let directory = try TestDirectory()
        let control = try await DataPlaneControlServer.start(path: directory.file("cp.sock").path)
        let snapshot = Snapshot.testing(version: 1, [.testing("svc", url: upstream.baseURL + "/api")])
        let old = try DataPlaneInheritedSocket.start(cachedSnapshot: snapshot, directory: directory, drainTimeout: 30)
        defer { old.stop() }
        var load: LoadGenerator?
        var successor: DataPlaneInheritedSocket?
        do {
            let connection = try await control.accept(timeout: 60)
            guard case .hello = try await connection.receiveSkippingReports() else {
                throw DrainTestError.noHello
            }
            let running = LoadGenerator.start(
                .init(
                    targets: [LoadTarget(name: "svc", url: "http://127.0.0.1:\(old.port)/orchestrator/svc/x")],
                    mode: .keepAlive(connections: 8)))
            load = running
            // All 8 connections are the old replica's: it is alone on the socket until now.
            _ = try await eventually("load flowing", timeout: 60) { running.snapshot().sent > 200 ? true : nil }
            let next = try DataPlaneInheritedSocket.start(cachedSnapshot: snapshot, drainTimeout: 30, sharing: old)
            successor = next
            _ = try await eventually("the successor listening", timeout: 60) {
                next.errorOutput.contains("listening on") ? true : nil
            }

            try await connection.send(.drain(deadlineSeconds: 30))
            let status = try await eventually("the old replica to exit", timeout: 60) { old.waitForExit(timeout: 0) }
            let sentAfterDrain = running.snapshot().sent
            _ = try await eventually("load served by the successor", timeout: 60) {
                running.snapshot().sent > sentAfterDrain + 200 ? true : nil
            }
            let summary = await running.stop()
            load = nil
            let target = try #require(summary.targets["svc"])

            // The connections the old replica held when the drain began (the successor may have
            // taken a late one): each got exactly one `Connection: close` answer.
            let open = Self.openAtDrain(old.errorOutput)
            #expect(status == 0, "old replica exit status \(status)\n\(old.errorOutput)")
            #expect(!old.errorOutput.contains("drain deadline passed"))
            #expect(
                summary.failed == 0, "\(summary.failed) failed of \(summary.sent): \(target.sampleErrors)")
            #expect((open ?? 0) >= 1, "\(old.errorOutput)")
            #expect(
                target.closeResponses == open, "\(target.closeResponses) said Connection: close, open \(open ?? -1)")
            await connection.close()
        } catch {
            _ = await load?.stop()
            successor?.stop()
            await control.stop()
            await upstream.stop()
            throw error
        }
        successor?.stop()
        await control.stop()
        await upstream.stop()
    }

    /// `N` from the replica's `open=N ... draining: no new connections` log line.
    static func openAtDrain(_ log: String) -> Int? {
        guard let line = log.split(separator: "\n").first(where: { $0.contains("draining: no new connections") }),
            let field = line.split(separator: " ").first(where: { $0.hasPrefix("open=") })
        else { return nil }
        return Int(field.dropFirst("open=".count))
    }

    @Test func idleKeptAliveConnectionIsClosedAtTheDeadline() async throws {
        let upstream = try await UpstreamServer.start()
        let replica = try Self.startReplica(upstream: upstream, drainTimeout: 1.5)
        defer { replica.stop() }
        let idle = try await Self.idleConnection(port: replica.port)
        defer { idle.close() }

        replica.signal(SIGTERM)
        try await Self.waitForDrainLog(replica)
        // The client never sends again: the replica closes the connection once the deadline
        // passes (not before: the log says the deadline closed it), then exits 0.
        try await idle.waitForClose(timeout: 60)
        let status = replica.waitForExit(timeout: 60)
        #expect(status == 0)
        #expect(replica.errorOutput.contains("drain deadline passed; closing the open connections"))
        await upstream.stop()
    }

    @Test func replicaWithoutConnectionsExitsPromptlyOnSigterm() async throws {
        let upstream = try await UpstreamServer.start()
        let replica = try Self.startReplica(upstream: upstream)
        defer { replica.stop() }
        // Serving: one request answered and its connection closed.
        let response = try await DataPlaneRawClient.exchange(
            port: replica.port, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(response.status == 200)

        let started = Date()
        replica.signal(SIGTERM)
        let status = replica.waitForExit(timeout: 60)
        let elapsed = Date().timeIntervalSince(started)
        #expect(status == 0)
        // Promptly: without waiting for its 30 s drain deadline (nothing was left to finish).
        #expect(elapsed < 25, "exited \(elapsed) s after SIGTERM")
        #expect(!replica.errorOutput.contains("drain deadline passed"))
        await upstream.stop()
    }

    @Test func secondSigtermDuringDrainExitsAtOnce() async throws {
        let upstream = try await UpstreamServer.start()
        let replica = try Self.startReplica(upstream: upstream)
        defer { replica.stop() }
        // An idle connection keeps the replica draining (deadline 30 s) until the second signal.
        let idle = try await Self.idleConnection(port: replica.port)
        defer { idle.close() }
        replica.signal(SIGTERM)
        try await Self.waitForDrainLog(replica)
        replica.signal(SIGTERM)
        let status = replica.waitForExit(timeout: 20)
        #expect(status == 1)
        await upstream.stop()
    }
}

enum DrainTestError: Error {
    case noHello
}
