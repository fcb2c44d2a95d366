import AdminAPI
import Foundation
import TestSupport
import Testing

/// `orchctl rollout` and its line in `orchctl status`, against a real supervising gateway.
@Suite(.endToEnd) struct RolloutCommandTests {
    @Test func rolloutReplacesTheReplicaAndStatusShowsIt() async throws {
        let gateway = try await ControlPlaneHarness.start(config: OrchctlFixtures.config, replicas: 1)
        defer { gateway.stop() }
        let before = try await eventually("the replica acknowledging", timeout: 60) { () -> Int? in
            let listing = try await gateway.admin(.GET, "/dataplanes").decode(DataPlaneListing.self)
            let replica = listing.dataplanes.first
            guard let acked = replica?.ackedVersion, acked == listing.currentVersion else { return nil }
            return replica?.pid
        }

        let rollout = try await gateway.orchctl("rollout", "--interval", "0.1")
        #expect(rollout.status == 0, "\(rollout)")
        #expect(rollout.stdout.contains("slot 1: pid \(before) -> pid "), "\(rollout)")
        #expect(rollout.lines.last?.hasPrefix("rollout succeeded: 1/1 replaced") == true, "\(rollout)")

        let status = try await gateway.orchctl("status")
        #expect(status.stdout.contains("rollout succeeded: 1/1 replaced"), "\(status)")

        let json = try await gateway.orchctl("rollout", "--output", "json")
        #expect(json.status == 0, "\(json)")
        let progress = try json.decode(RolloutProgress.self)
        #expect(progress.state == "succeeded")
        #expect(progress.steps.count == 1)

        let invalid = try await gateway.orchctl("rollout", "--replicas", "0")
        #expect(invalid.status == 2)
    }

    @Test func aRefusedRolloutExitsOneWithTheReason() async throws {
        let gateway = try await ControlPlaneHarness.start(config: OrchctlFixtures.config, replicas: 0)
        defer { gateway.stop() }
        let refused = try await gateway.orchctl("rollout")
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.stderr.contains("supervises no data-plane replicas"), "\(refused)")
    }
}
