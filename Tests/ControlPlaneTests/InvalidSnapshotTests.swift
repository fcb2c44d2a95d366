import AdminAPI
import Foundation
import GRDB
import TestSupport
import Testing

/// A snapshot a replica cannot accept (here: a store edited behind the control plane's back) is
/// NACKed, shown in `/dataplanes`, and the replica keeps serving its previous routes.
@Suite(.endToEnd) struct InvalidSnapshotTests {
    @Test func replicaNacksAndKeepsItsRoutes() async throws {
        let upstream = try await UpstreamServer.start()
        let gateway = try await ControlPlaneHarness.start(config: nil, replicas: 1)
        var orphans: [Int32] = []
        defer {
            gateway.stop()
            for pid in orphans { kill(pid, SIGKILL) }
        }
        _ = try await gateway.admin(
            .POST, "/registry/endpoints", json: #"{"name": "svc", "url": "\#(upstream.baseURL)/"}"#)
        let oldPort = gateway.proxyPort
        _ = try await eventually("routed through the replica") { () -> Bool? in
            try await TestHTTP.request(.GET, "http://127.0.0.1:\(oldPort)/orchestrator/svc/x").status == 200
                ? true : nil
        }
        orphans = gateway.replicaPids

        // The control plane dies; its replica keeps serving. The store is then edited by hand.
        gateway.kill9()
        let queue = try DatabaseQueue(path: gateway.dataDir.appendingPathComponent("orchestrator.sqlite").path)
        try await queue.write { db in
            try db.execute(
                sql:
                    "UPDATE endpoint SET config = replace(config, 'http://127.0.0.1', 'gopher://127.0.0.1') WHERE name = 'svc'"
            )
        }
        try queue.close()
        try await gateway.restart()

        let nacked = try await eventually("NACK from the old replica in /dataplanes") { () -> DataPlaneReplica? in
            let list = try await gateway.admin(.GET, "/dataplanes").decode(DataPlaneListing.self).dataplanes
            return list.first { Int32($0.pid) == orphans.first && $0.lastNack != nil }
        }
        let reason = nacked.lastNack?.error ?? ""
        #expect(reason.contains("url"), "\(reason)")
        #expect(nacked.behind == true)
        let response = try await TestHTTP.request(.GET, "http://127.0.0.1:\(oldPort)/orchestrator/svc/still")
        #expect(response.status == 200)
        await upstream.stop()
    }
}
