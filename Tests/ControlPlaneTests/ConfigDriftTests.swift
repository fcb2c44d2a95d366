import AdminAPI
import Foundation
import TestSupport
import Testing

/// After a rollback the serving state differs from the config file: `/config/status`,
/// `/status/data` and `orchctl status` say so and how, until a reload or an edit of the file ends
/// it. Snapshot causes say what happened.
@Suite(.endToEnd, .serialized) struct ConfigDriftTests {
    static func config(timeout: Int) -> String {
        """
        health_check:
          enabled: false
        endpoints:
          - name: alpha
            url: http://127.0.0.1:9/alpha
            timeout: \(timeout)
          - name: beta
            url: http://127.0.0.1:9/beta
        """
    }

    func timeout(_ gateway: ControlPlaneHarness) async throws -> Int {
        try await gateway.admin(.GET, "/registry/endpoints/alpha").decode(EndpointDetails.self).timeout
    }

    func drift(_ gateway: ControlPlaneHarness) async throws -> ConfigDrift? {
        try await gateway.admin(.GET, "/config/status").decode(ConfigStatus.self).drift
    }

    func newestSnapshot(_ gateway: ControlPlaneHarness) async throws -> SnapshotSummary? {
        try await gateway.admin(.GET, "/snapshots?limit=1").decode(SnapshotListing.self).snapshots.first
    }

    @Test func aRollbackShowsDriftUntilAReloadOrAnEditEndsIt() async throws {
        let gateway = try await ControlPlaneHarness.start(config: Self.config(timeout: 10))
        defer { gateway.stop() }
        #expect(try await drift(gateway)?.drifted == false)
        let old = try await gateway.admin(.GET, "/snapshots").decode(SnapshotListing.self).currentVersion

        try gateway.writeConfig(Self.config(timeout: 20))
        _ = try await eventually("the edit applied", timeout: 30) { try await timeout(gateway) == 20 ? true : nil }

        let rollback = try await gateway.orchctl("snapshots", "rollback", String(old))
        #expect(rollback.status == 0, "\(rollback)")
        #expect(try await timeout(gateway) == 10)
        #expect(try await newestSnapshot(gateway)?.cause == "rollback to \(old)")

        let drifted = try #require(try await drift(gateway))
        #expect(drifted.drifted == true)
        #expect(drifted.changed == [ConfigChange(name: "alpha", fields: ["timeout"])])
        #expect(drifted.summary == "~ alpha (timeout)")
        let page = try await gateway.admin(.GET, "/status/data").decode(StatusData.self).config
        #expect(page.drift == "~ alpha (timeout)")
        let status = try await gateway.orchctl("status")
        #expect(status.status == 0, "\(status)")
        let line = status.lines.first { $0.hasPrefix("Drift") } ?? ""
        #expect(line.contains("serving state differs from \(gateway.configURL.path): ~ alpha (timeout)"), "\(status)")

        // `orchctl config reload` applies the file again.
        #expect(try await gateway.orchctl("config", "reload").status == 0)
        #expect(try await timeout(gateway) == 20)
        #expect(try await drift(gateway)?.drifted == false)
        #expect(!(try await gateway.orchctl("status")).stdout.contains("Drift"))

        // So does an edit of the file.
        #expect(try await gateway.orchctl("snapshots", "rollback", String(old)).status == 0)
        #expect(try await drift(gateway)?.drifted == true)
        try gateway.writeConfig(Self.config(timeout: 25))
        _ = try await eventually("the edit ends the drift", timeout: 30) { () -> Bool? in
            try await drift(gateway)?.drifted == false ? true : nil
        }
        #expect(try await timeout(gateway) == 25)
    }

    @Test func disablingAndEnablingAreRecordedAsSuch() async throws {
        let gateway = try await ControlPlaneHarness.start(config: nil)
        defer { gateway.stop() }
        let added = try await gateway.orchctl("endpoint", "add", "gamma", "--url", "http://127.0.0.1:9/g")
        #expect(added.status == 0, "\(added)")
        func newestCause() async throws -> String? {
            try await newestSnapshot(gateway)?.cause
        }
        #expect(try await gateway.orchctl("endpoint", "disable", "gamma").status == 0)
        #expect(try await newestCause() == "api: disable gamma")
        #expect(try await gateway.orchctl("endpoint", "enable", "gamma").status == 0)
        #expect(try await newestCause() == "api: enable gamma")
        #expect(try await gateway.orchctl("endpoint", "update", "gamma", "--timeout", "9").status == 0)
        #expect(try await newestCause() == "api: update gamma")
    }
}
