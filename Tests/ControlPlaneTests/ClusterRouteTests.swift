import AdminAPI
import Foundation
import Hummingbird
import TestSupport
import Testing

@testable import ControlPlane

/// `GET /cluster` of a control plane on SQLite: itself alone, leading, with no lease. (On
/// PostgreSQL, ``ControlPlaneClusterTests`` shows it with real members.)
@Suite struct ClusterRouteTests {
    @Test func aControlPlaneOnSQLiteIsItsOwnLeaderWithoutLeaseOrMembers() async throws {
        let admin = try await InProcessAdmin()
        defer { admin.remove() }
        let answer = try await admin.send(.get, "/cluster")
        #expect(answer.status == 200)
        let status = try answer.decode(ClusterStatus.self)
        #expect(status.store == "sqlite" && status.role == "leader" && status.members.isEmpty)
        #expect(status.leader == nil && answer.text.contains(#""leader":null"#))
        let version = await admin.version
        #expect(status.node == admin.services.nodeName && status.currentVersion == version)
    }
}
