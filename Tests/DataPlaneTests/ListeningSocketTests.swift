import Foundation
import Shared
import TestSupport
import Testing

/// How a replica gets its listening socket: inherited from a supervisor (`LISTEN_FDS`) or bound
/// itself with `SO_REUSEPORT`.
@Suite(.endToEnd) struct ListeningSocketTests {
    @Test func replicaServesTheSocketItInheritsAsDescriptor3() async throws {
        let upstream = try await UpstreamServer.start()
        let replica = try DataPlaneInheritedSocket.start(
            cachedSnapshot: .testing(version: 3, [.testing("svc", url: upstream.baseURL + "/svc")]))
        defer { replica.stop() }
        // The test no longer holds the socket: only the replica can be answering.
        replica.closeListenerInTest()
        let line = try await eventually("listening line", timeout: 60) { () -> String? in
            replica.errorOutput.split(separator: "\n").first { $0.hasPrefix("listening on ") }.map(String.init)
        }
        #expect(line == "listening on 127.0.0.1:\(replica.port)")
        let response = try await TestHTTP.request(.GET, "http://127.0.0.1:\(replica.port)/orchestrator/svc/x")
        #expect(response.status == 200)
        #expect(try await upstream.waitForRequests(1)[0].uri == "/svc/x")
        await upstream.stop()
    }

    @Test func standaloneReplicasShareAPortWithReusePort() async throws {
        let snapshot = Snapshot.testing(version: 1, [])
        let first = try await DataPlaneHarness.start(cachedSnapshot: snapshot, replicaID: "one")
        defer { first.stop() }
        let second = try await DataPlaneHarness.start(
            cachedSnapshot: snapshot, arguments: ["--listen", "127.0.0.1:\(first.port)"], replicaID: "two")
        defer { second.stop() }
        #expect(second.port == first.port)
        // Both answer on the shared port; the kernel spreads new connections between them.
        first.process.stop()
        let health = try await TestHTTP.request(.GET, second.url("/health"))
        #expect(health.json["replica_id"] as? String == "two")
    }

    @Test func badListenAddressIsAClearErrorNotACrash() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let process = try ChildProcess(
            TestBinaries.url("orch-data-plane"), arguments: ["--listen", "nonsense"], directory: directory.url)
        defer { process.stop() }
        let status = process.waitForExit(timeout: 30)
        #expect(status != nil && status != 0)
        #expect(process.errorOutput.contains("invalid listen address 'nonsense'"))
    }
}
