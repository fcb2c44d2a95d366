import AdminAPI
import Foundation
import Shared
import TestSupport
import Testing

/// The real control plane and a real replica over its socket: changes reach the proxy, the
/// replica survives the control plane's death and catches up when it returns.
@Suite(.endToEnd, .serialized) struct ControlPlaneIntegrationTests {
    static func config(_ upstream: UpstreamServer) -> String {
        """
        endpoints:
          - name: svc
            url: \(upstream.baseURL)/svc
            methods: [GET, POST]
        """
    }

    static func status(_ replica: DataPlaneHarness, _ path: String) async -> Int? {
        try? await TestHTTP.request(.GET, replica.url(path), timeout: 10).status
    }

    @Test func adminChangesGoLiveOnTheReplicaAndItsAckShowsInDataplanes() async throws {
        let upstream = try await UpstreamServer.start()
        let gateway = try await ControlPlaneHarness.start(config: Self.config(upstream))
        defer { gateway.stop() }
        let replica = try await DataPlaneHarness.start(controlSocket: gateway.socketPath, replicaID: "it-replica")
        defer { replica.stop() }

        _ = try await eventually("svc routed through the replica") {
            await Self.status(replica, "/orchestrator/svc/a") == 200 ? true : nil
        }
        // (The control plane's health checks probe the upstream too.)
        #expect(upstream.requests.contains { $0.uri == "/svc/a" })

        let created = try await gateway.admin(
            .POST, "/registry/endpoints",
            json: #"{"name": "added", "url": "\#(upstream.baseURL)/added", "methods": ["GET"]}"#)
        #expect(created.status == 200)
        _ = try await eventually("the new endpoint routed", interval: 0.005) {
            await Self.status(replica, "/orchestrator/added/x") == 200 ? true : nil
        }

        let current = try await gateway.admin(.GET, "/dataplanes").decode(DataPlaneListing.self).currentVersion
        let listed = try await eventually("the replica's ack in /dataplanes") { () -> DataPlaneReplica? in
            let list = try await gateway.admin(.GET, "/dataplanes").decode(DataPlaneListing.self).dataplanes
            return list.first { $0.replicaId == "it-replica" && $0.ackedVersion == current }
        }
        #expect(listed.pid == Int(replica.process.pid))
        #expect(listed.connected == true)
        await upstream.stop()
    }

    @Test func replicaOutlivesTheControlPlaneServesFromCacheAndCatchesUp() async throws {
        let upstream = try await UpstreamServer.start()
        let gateway = try await ControlPlaneHarness.start(config: Self.config(upstream))
        defer { gateway.stop() }
        let replica = try await DataPlaneHarness.start(controlSocket: gateway.socketPath, replicaID: "first")
        defer { replica.stop() }
        _ = try await eventually("svc routed") { await Self.status(replica, "/orchestrator/svc/a") == 200 ? true : nil }
        // The cache is written after the acknowledgement, off the conversation.
        _ = try await eventually("the snapshot cached") {
            FileManager.default.fileExists(atPath: replica.cacheDir.appendingPathComponent("snapshot.json").path)
                ? true : nil
        }

        gateway.kill9()
        #expect(await Self.status(replica, "/orchestrator/svc/b") == 200)

        // A second replica started now has only the first one's cache to go by.
        let late = try TestDirectory()
        try FileManager.default.createDirectory(at: late.file("cache"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: replica.cacheDir.appendingPathComponent("snapshot.json"),
            to: late.file("cache").appendingPathComponent("snapshot.json"))
        let second = try await DataPlaneHarness.start(
            controlSocket: gateway.socketPath, directory: late, replicaID: "second")
        defer { second.stop() }
        #expect(await Self.status(second, "/orchestrator/svc/c") == 200)
        #expect(try await TestHTTP.request(.GET, second.url("/health")).status == 200)

        try await gateway.restart()
        let created = try await gateway.admin(
            .POST, "/registry/endpoints", json: #"{"name": "later", "url": "\#(upstream.baseURL)/later"}"#)
        #expect(created.status == 200)
        for each in [replica, second] {
            _ = try await eventually("\(each.replicaID) catches up", timeout: 30) {
                await Self.status(each, "/orchestrator/later/x") == 200 ? true : nil
            }
        }
        await upstream.stop()
    }
}
