import AdminAPI
import Foundation
import TestSupport
import Testing

/// An acknowledged write survives `kill -9` of the control plane.
@Suite(.endToEnd) struct DurabilityTests {
    @Test func acknowledgedWriteSurvivesKill9() async throws {
        let gateway = try await ControlPlaneHarness.start(
            config: nil, environment: ["ORCH_ADMIN_TOKEN": "fixed-test-token"])
        defer { gateway.stop() }
        for index in 0..<5 {
            let response = try await gateway.admin(
                .POST, "/registry/endpoints", json: #"{"name": "e\#(index)", "url": "http://127.0.0.1:9/\#(index)"}"#)
            #expect(response.status == 200)
        }
        gateway.kill9()
        try await gateway.restart()
        let names = ConfigFileTests.names(try await gateway.admin(.GET, "/registry/endpoints"))
        #expect(names == ["e0", "e1", "e2", "e3", "e4"])
        // The version history continues instead of starting again.
        #expect(try await gateway.admin(.GET, "/snapshots").decode(SnapshotListing.self).currentVersion == 6)
    }

    @Test func secondControlPlaneOnTheSameDataDirectoryIsRefused() async throws {
        let gateway = try await ControlPlaneHarness.start(config: nil)
        defer { gateway.stop() }
        let second = try ChildProcess(
            TestBinaries.url("orch-control-plane"),
            arguments: ["--data-dir", gateway.dataDir.path, "--admin-address", "127.0.0.1:0", "--replicas", "0"],
            directory: gateway.directory.url)
        defer { second.stop() }
        #expect(second.waitForExit(timeout: 30) == 1)
        #expect(second.errorOutput.contains("already using"))
    }
}
