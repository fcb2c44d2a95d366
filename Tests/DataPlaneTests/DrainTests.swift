import Foundation
import Shared
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Graceful drain of a replica on its inherited socket: on SIGTERM or the control plane's
/// `drain` message it stops accepting, finishes requests in flight, answers the next request on
/// each kept-alive connection with `Connection: close`, and exits 0 once no connection is left.
@Suite(.serialized) struct DrainTests {
    static let slowBody = String(repeating: "slow-body-", count: 200)
    /// How long the slow upstream takes: long enough for the drain to begin first on a loaded
    /// machine, so the response in flight is one the drain finishes.
    static let slowMilliseconds: Int64 = 5000

    /// A replica whose only endpoint `slow` answers after `delay` ms.
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
        replica: DataPlaneInheritedSocket, slow: DrainClientConnection, idle: DrainClientConnection
    ) async throws {
        try await waitForDrainLog(replica)
        #expect(!idle.isClosed, "an idle kept-alive connection stays open during the drain")
        try await idle.send("/health")
        let health = try await idle.response()
        #expect(health.status == 503)
        #expect(String(decoding: health.body, as: UTF8.self).contains(#""status":"draining""#))
        #expect(health.values("connection").map { $0.lowercased() } == ["close"])
        try await idle.waitForClose()

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
            .delayed(milliseconds: Self.slowMilliseconds, body: Self.slowBody))
        let replica = try Self.startReplica(upstream: upstream)
        defer { replica.stop() }
        let idle = try await Self.idleConnection(port: replica.port)
        defer { idle.close() }
        let slow = try await DrainClientConnection.open(port: replica.port)
        defer { slow.close() }
        try await slow.send("/orchestrator/slow/x")
        _ = try await upstream.waitForRequests(1)

        replica.signal(SIGTERM)
        try await Self.expectGracefulDrain(replica: replica, slow: slow, idle: idle)
        await upstream.stop()
    }

    @Test func drainMessageDrainsLikeSigtermAndIsReported() async throws {
        let upstream = try await UpstreamServer.start(
            .delayed(milliseconds: Self.slowMilliseconds, body: Self.slowBody))
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
        try await Self.expectGracefulDrain(replica: replica, slow: slow, idle: idle)
        #expect(replica.errorOutput.contains("already draining"))
        await connection.close()
        await control.stop()
        await upstream.stop()
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
        print("replica without connections exited \(String(format: "%.3f", elapsed)) s after SIGTERM")
        #expect(status == 0)
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
