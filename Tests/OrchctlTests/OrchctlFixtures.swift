import AdminAPI
import Foundation
import TestSupport

/// Config files and small helpers the orchctl tests share.
enum OrchctlFixtures {
    /// Two file-owned endpoints; health checks off so that statuses stay put.
    static let config = """
        endpoints:
          - name: user_service
            url: "http://127.0.0.1:9/users"
            methods: ["GET", "POST"]
            auth_type: bearer
          - name: order_service
            url: "http://127.0.0.1:9/orders"
            version: v1
            timeout: 45
          - name: billing
            url: "http://127.0.0.1:9/billing"
        health_check:
          enabled: false
        """

    /// The snapshot version the control plane serves now.
    static func currentVersion(_ gateway: ControlPlaneHarness) async throws -> Int {
        (try? await gateway.admin(.GET, "/snapshots").decode(SnapshotListing.self))?.currentVersion ?? -1
    }

    /// A TCP port on 127.0.0.1 that nothing listens on: bound, then closed again.
    static func closedPort() throws -> Int {
        try ClosedPort().port
    }
}
