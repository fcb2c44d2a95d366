import AdminAPI
import Foundation
import LoadGenerator
import NIOHTTP1
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `POST /dataplanes/rollout` end to end: real control plane, real replicas, real load.
@Suite(.endToEnd, .serialized) struct RolloutTests {
    @Test func rolloutUnderLoadReplacesEveryReplicaWithoutAFailedRequest() async throws {
        // An upstream that flushes its head before its body (as Python's http.server does): a
        // drain then often finds a response whose head already promised keep-alive.
        try await withRolloutGateway(replicas: 2, upstream: .headFirst(bodyAfterMilliseconds: 5, body: "ok")) {
            gateway in
            let before = try await gateway.readyPids(2)
            // Clients as most are (Python's http.client, curl, wrk): 8 kept-alive connections, each
            // sending its next request as soon as it has the previous response, no idle timeout,
            // no retry. Each connection on a retiring replica must be told `Connection: close`.
            let load = LoadGenerator.start(
                .init(
                    targets: [LoadTarget(name: "svc", url: gateway.proxyURL)], idleTimeoutSeconds: nil,
                    mode: .keepAlive(connections: 8)))
            _ = try await eventually("load flowing", timeout: 30) { load.snapshot().sent > 50 ? true : nil }

            // The way an operator does it: orchctl waits for the rollout and says how it went.
            let rollout = try await gateway.control.orchctl("rollout")
            #expect(rollout.status == 0, "\(rollout)")
            let status = try await gateway.finishedRollout()
            let sentDuring = load.snapshot().sent
            _ = try await eventually("load after the rollout", timeout: 30) {
                load.snapshot().sent > sentDuring + 50 ? true : nil
            }
            let summary = await load.stop()
            let errors = summary.targets.values.flatMap(\.sampleErrors)

            #expect(status.state == "succeeded", "\(status)")
            #expect(status.replaced == 2)
            #expect(status.total == 2)
            #expect(Set(status.steps.compactMap(\.oldPid)) == Set(before))
            let after = try await gateway.readyPids(2)
            #expect(Set(after).isDisjoint(with: before), "before \(before), after \(after)")
            #expect(Set(status.steps.compactMap(\.newPid)) == Set(after))
            #expect(before.allSatisfy { kill($0, 0) != 0 })
            #expect(summary.failed == 0, "\(summary.failed) failed of \(summary.sent): \(errors.prefix(5))")
            #expect(summary.sent > 100)
            // Both old replicas closed their connections by saying so: at least one each.
            let closes = summary.targets.values.map(\.closeResponses).reduce(0, +)
            #expect(closes >= 2, "\(closes) responses said Connection: close")
        }
    }

    @Test func aReplicaThatExitsAbortsTheRolloutAndKeepsTheOldOnes() async throws {
        try await withRolloutGateway(replicas: 2) { gateway in
            let before = try await gateway.readyPids(2)
            try gateway.useScript("exit 1")
            #expect(try await gateway.startRollout().status == 202)
            let status = try await gateway.finishedRollout()
            #expect(status.state == "failed")
            let error = status.error ?? ""
            #expect(error.contains("exited with exit status 1 before acknowledging version"), "\(error)")
            #expect(status.replaced == 0)
            #expect(gateway.control.replicaPids.sorted() == before)
            #expect(before.allSatisfy { kill($0, 0) == 0 })
            let response = try await TestHTTP.request(.GET, gateway.proxyURL)
            #expect(response.status == 200)
        }
    }

    @Test func aSecondRolloutIsRefusedAndAReplicaNeverReadyTimesOut() async throws {
        try await withRolloutGateway(replicas: 1, readyTimeout: 2) { gateway in
            let before = try await gateway.readyPids(1)
            try gateway.useScript("exec sleep 60")
            #expect(try await gateway.startRollout().status == 202)
            let second = try await gateway.startRollout()
            #expect(second.status == 409)
            #expect(second.detail == "A rollout is already running")
            let status = try await gateway.finishedRollout()
            #expect(status.state == "failed")
            let error = status.error ?? ""
            #expect(error.contains("not ready after 2 s"), "\(error)")
            #expect(gateway.control.replicaPids == before)
        }
    }

    @Test func rolloutPicksUpTheExecutableAsItIsOnDiskNowAndScales() async throws {
        try await withRolloutGateway(replicas: 1) { gateway in
            let before = try await gateway.readyPids(1)
            // The "new build": records each start, then runs the data plane.
            let starts = gateway.control.directory.file("v2-starts")
            try gateway.useScript(
                "echo $$ >> \(starts.path)\nexec \(TestBinaries.url("orch-data-plane").path) \"$@\"")
            #expect(try await gateway.startRollout(#"{"replicas": 2}"#).status == 202)
            let status = try await gateway.finishedRollout()
            #expect(status.state == "succeeded", "\(status)")
            #expect(status.total == 2)
            let after = try await gateway.readyPids(2)
            let started = try String(contentsOf: starts, encoding: .utf8).split(separator: "\n").compactMap {
                Int32($0)
            }
            #expect(Set(after) == Set(started))
            #expect(!after.contains(before[0]))

            #expect(try await gateway.startRollout(#"{"replicas": 1}"#).status == 202)
            let down = try await gateway.finishedRollout()
            #expect(down.state == "succeeded", "\(down)")
            _ = try await gateway.readyPids(1)
            let supervised = try await gateway.control.admin(.GET, "/dataplanes").decode(DataPlaneListing.self)
                .supervised
            #expect(supervised.count == 1)
        }
    }

    @Test func rolloutRequestsThatCannotRunAreRefusedClearly() async throws {
        let control = try await ControlPlaneHarness.start(config: nil, replicas: 0)
        defer { control.stop() }
        let refused = try await control.admin(.POST, "/dataplanes/rollout")
        #expect(refused.status == 409)
        #expect(refused.detail?.contains("supervises no data-plane replicas") == true)
        let invalid = try await control.admin(.POST, "/dataplanes/rollout", json: #"{"replicas": 0}"#)
        #expect(invalid.status == 422)
        let notJSON = try await control.admin(.POST, "/dataplanes/rollout", json: "[1]")
        #expect(notJSON.status == 400)
        let idle = try await control.admin(.GET, "/dataplanes/rollout")
        #expect(try idle.decode(RolloutProgress.self).state == "idle")
    }
}
