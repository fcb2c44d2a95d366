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
        try await gateway.admin(.GET, "/snapshots").json["current_version"] as? Int ?? -1
    }

    /// A TCP port on 127.0.0.1 that nothing listens on: bound, then closed again.
    static func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw CocoaError(.fileWriteUnknown) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(fd, socketAddress, length) == 0 && getsockname(fd, socketAddress, &length) == 0
            }
        }
        guard bound else { throw CocoaError(.fileWriteUnknown) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
