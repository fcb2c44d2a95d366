import AdminAPI
import Foundation
import LoadGenerator
import NIOHTTP1
import TestSupport
import Testing

@testable import ControlPlane

#if canImport(Glibc)
    import Glibc
#endif

/// A control plane restarted after `kill -9` adopts the replicas it left running.
@Suite(.endToEnd, .serialized) struct AdoptionTests {
    @Test func aRestartedControlPlaneAdoptsTheRunningReplicas() async throws {
        try await withRolloutGateway(replicas: 2) { gateway in
            let control = gateway.control
            let before = try await gateway.readyPids(2)
            let proxyPort = control.proxyPort
            let load = LoadGenerator.start(
                .init(targets: [LoadTarget(name: "svc", url: gateway.proxyURL)], requestsPerSecond: 200))
            _ = try await eventually("load flowing", timeout: 30) { load.snapshot().sent > 50 ? true : nil }

            control.kill9()
            let sentAtKill = load.snapshot().sent
            _ = try await eventually("load while the control plane is down", timeout: 30) {
                load.snapshot().sent > sentAtKill + 50 ? true : nil
            }
            try await control.restart()
            #expect(control.proxyPort == proxyPort)
            // Same processes, back in their slots, connected to the new control plane.
            #expect(try await gateway.readyPids(2) == before)
            let supervised = try await control.admin(.GET, "/dataplanes").decode(DataPlaneListing.self).supervised
            #expect(supervised.compactMap(\.pid).sorted() == before)

            // An endpoint change made through the new control plane reaches them.
            let created = try await control.admin(
                .POST, "/registry/endpoints", json: #"{"name": "svc2", "url": "\#(gateway.upstream.baseURL)/v2"}"#)
            #expect(created.status == 201 || created.status == 200, "\(created.text)")
            let url = "http://127.0.0.1:\(proxyPort)/orchestrator/svc2/thing"
            for _ in before {
                _ = try await eventually("the new endpoint served", timeout: 30) { () -> Bool? in
                    try await TestHTTP.request(.GET, url, headers: [("Connection", "close")]).status == 200 ? true : nil
                }
            }
            #expect(before.allSatisfy { kill($0, 0) == 0 })

            // The proxy socket came back from the adopted replicas: a rollout can start new ones.
            // Until the socket is back a rollout fails saying so; then one succeeds.
            let rollout = try await eventually("a rollout on the handed-back socket", timeout: 90) {
                () -> RolloutProgress? in
                guard try await gateway.startRollout().status == 202 else { return nil }
                let status = try await gateway.finishedRollout()
                return status.state == "succeeded" ? status : nil
            }
            #expect(rollout.replaced == 2)
            let after = try await gateway.readyPids(2)
            #expect(Set(after).isDisjoint(with: before), "before \(before), after \(after)")

            let summary = await load.stop()
            let errors = summary.targets.values.flatMap(\.sampleErrors)
            #expect(summary.sent > 100)
            #expect(summary.failed == 0, "\(summary.failed) failed of \(summary.sent): \(errors.prefix(5))")
        }
    }

    @Test func survivorsAreLiveSupervisedDataPlanesOnly() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let me = getpid()
        try ReplicaRegistryFile.write(
            [
                .init(pid: me, slot: 1, startedAt: "2026-11-27T01:00:00Z", restarts: 0),
                .init(pid: 999_999_999, slot: 2, startedAt: "2026-11-27T01:00:00Z", restarts: 0),
            ], proxy: "127.0.0.1:8000", to: ReplicaRegistryFile.url(dataDirectory: directory.url))
        // This test process is alive but is not a data plane; the other pid does not exist.
        #expect(SurvivingReplicas.find(dataDirectory: directory.url, executable: "/x/orch-data-plane").isEmpty)
        #expect(SurvivingReplicas.isAlive(me))
        #expect(!SurvivingReplicas.isAlive(999_999_999))
        #expect(
            ReplicaRegistryFile.proxyAddress(from: ReplicaRegistryFile.url(dataDirectory: directory.url))
                == "127.0.0.1:8000")
    }
}
