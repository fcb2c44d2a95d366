import Foundation
import Shared
import TestSupport
import Testing

/// `orchctl snapshots list|show|rollback`.
@Suite(.endToEnd) struct SnapshotsCommandTests {
    @Test func listShowAndRollBack() async throws {
        let gateway = try await ControlPlaneHarness.start(config: OrchctlFixtures.config)
        defer { gateway.stop() }
        let first = try await OrchctlFixtures.currentVersion(gateway)
        #expect(try await gateway.orchctl("endpoint", "add", "extra", "--url", "http://127.0.0.1:9/extra").status == 0)
        let second = try await OrchctlFixtures.currentVersion(gateway)
        #expect(second > first)

        let list = try await gateway.orchctl("snapshots", "list")
        #expect(list.status == 0, "\(list)")
        #expect(list.lines.first?.hasPrefix("VERSION") == true)
        let newest = try #require(list.lines.dropFirst().first, "\(list)")
        #expect(newest.hasPrefix("\(second) *"), "\(list)")
        #expect(newest.hasSuffix("api: add extra") || newest.contains("extra"), "\(list)")
        #expect(list.lines.contains { $0.hasPrefix("\(first) ") && $0.contains(" 3 ") }, "\(list)")

        let shown = try await gateway.orchctl("snapshots", "show", "\(first)")
        #expect(shown.status == 0, "\(shown)")
        #expect(shown.lines.first == "version    \(first)", "\(shown)")
        #expect(shown.lines.contains { $0.hasPrefix("  order_service") && $0.contains("45s") }, "\(shown)")
        #expect(!shown.stdout.contains("extra"))

        let json = try await gateway.orchctl("snapshots", "show", "\(second)", "--output", "json").decode(Snapshot.self)
        #expect(json.version == second)
        #expect(json.endpoints.count == 4)

        let rolled = try await gateway.orchctl("snapshots", "rollback", "\(first)")
        #expect(rolled.status == 0, "\(rolled)")
        #expect(rolled.stdout.contains("Rolled back to the endpoints of snapshot \(first)"), "\(rolled)")
        let third = try await OrchctlFixtures.currentVersion(gateway)
        #expect(third > second)
        #expect(try await gateway.admin(.GET, "/registry/endpoints/extra").status == 404)
    }
}
