import AdminAPI
import Foundation
import Shared
import TestSupport
import Testing

/// Snapshots reach a replica over the control socket, and its answers show in `/dataplanes`.
@Suite(.endToEnd) struct SnapshotPublicationTests {
    @Test func helloGetsTheCurrentSnapshotAndChangesArrivePromptly() async throws {
        let gateway = try await ControlPlaneHarness.start(config: nil)
        defer { gateway.stop() }
        let attributes = try FileManager.default.attributesOfItem(atPath: gateway.socketPath)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)

        let client = try await ControlSocketClient.connect(path: gateway.socketPath)
        try await client.send(.hello(.init(replicaId: "test-replica", pid: 1234, version: nil)))
        let first = try await client.receiveSnapshot()
        #expect(first.version == 1)
        #expect(first.endpoints.isEmpty)
        try await client.send(.ack(version: first.version))

        let created = try await gateway.admin(
            .POST, "/registry/endpoints", json: #"{"config": {"name": "svc", "url": "http://127.0.0.1:9/x"}}"#)
        #expect(created.status == 200)
        // Pushed on commit, unasked: the replica sends nothing until it has it. (The latency is
        // the benchmark's to measure, not a test's.)
        let second = try await client.receiveSnapshot(timeout: 30)
        #expect(second.version == 2)
        #expect(second.endpoints.map(\.name) == ["svc"])
        try await client.send(.ack(version: 2))

        let replica = try await eventually("ack of v2 in /dataplanes") { () -> DataPlaneReplica? in
            let list = try await gateway.admin(.GET, "/dataplanes").decode(DataPlaneListing.self).dataplanes
            return list.first { $0.replicaId == "test-replica" && $0.ackedVersion == 2 }
        }
        // The hello said 1234; the control plane takes the pid the kernel gives for the socket's peer.
        #expect(replica.pid == Int(ProcessInfo.processInfo.processIdentifier))
        #expect(replica.connected == true)
        #expect(replica.behind == false)

        try await client.send(.nack(version: 2, error: "test rejection"))
        let nacked = try await eventually("nack in /dataplanes") { () -> DataPlaneReplica? in
            let list = try await gateway.admin(.GET, "/dataplanes").decode(DataPlaneListing.self).dataplanes
            return list.first { $0.lastNack?.error == "test rejection" }
        }
        #expect(nacked.lastNack?.version == 2)

        await client.close()
        _ = try await eventually("replica shown as gone") { () -> Bool? in
            let list = try await gateway.admin(.GET, "/dataplanes").decode(DataPlaneListing.self).dataplanes
            return list.first { $0.replicaId == "test-replica" }?.connected == false ? true : nil
        }
    }

    @Test func peerThatDoesNotSayHelloIsDisconnected() async throws {
        let gateway = try await ControlPlaneHarness.start(config: nil)
        defer { gateway.stop() }
        let client = try await ControlSocketClient.connect(path: gateway.socketPath)
        try await client.sendRaw(Data("not json".utf8))
        #expect(try await client.receive() == nil)
        // The control plane still serves others.
        let other = try await ControlSocketClient.connect(path: gateway.socketPath)
        try await other.send(.hello(.init(replicaId: "ok", pid: 1, version: nil)))
        #expect(try await other.receiveSnapshot().version >= 1)
        await other.close()
    }

    @Test func snapshotHistoryAndRollback() async throws {
        let gateway = try await ControlPlaneHarness.start(config: nil)
        defer { gateway.stop() }
        _ = try await gateway.admin(
            .POST, "/registry/endpoints", json: #"{"name": "a", "url": "http://127.0.0.1:9/a"}"#)
        _ = try await gateway.admin(
            .POST, "/registry/endpoints", json: #"{"name": "b", "url": "http://127.0.0.1:9/b"}"#)
        let list = try await gateway.admin(.GET, "/snapshots").decode(SnapshotListing.self)
        #expect(list.currentVersion == 3)
        let v2 = try await gateway.admin(.GET, "/snapshots/2").decode(Snapshot.self)
        #expect(v2.endpoints.count == 1)
        #expect(try await gateway.admin(.GET, "/snapshots/99").status == 404)

        let rolled = try await gateway.admin(.POST, "/snapshots/2/rollback")
        #expect(rolled.status == 200)
        #expect(try rolled.decode(RollbackResult.self).version == 4)
        #expect(ConfigFileTests.names(try await gateway.admin(.GET, "/registry/endpoints")) == ["a"])
    }
}

extension ControlPlaneMessage.Received: Equatable {
    public static func == (lhs: Self, rhs: Self) -> Bool { "\(lhs)" == "\(rhs)" }
}
