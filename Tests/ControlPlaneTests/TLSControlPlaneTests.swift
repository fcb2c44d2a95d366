import AdminAPI
import Foundation
import NIOHTTP1
import TestSupport
import Testing

@testable import ControlPlane

#if canImport(Glibc)
    import Glibc
#endif

/// `orch-control-plane --proxy-tls-address` end to end: it binds the TLS port beside the proxy
/// port and every replica it starts, restarts or rolls inherits it as fd 4.
@Suite(.endToEnd, .serialized) struct TLSControlPlaneTests {
    /// The inode of the socket listening on 127.0.0.1:`port`, from `/proc/net/tcp`.
    static func listeningInode(port: Int) -> String? {
        guard let table = try? String(contentsOfFile: "/proc/net/tcp", encoding: .utf8) else { return nil }
        let hexPort = String(format: "%04X", port)
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count > 9, fields[1].hasSuffix(":" + hexPort), fields[3] == "0A" else { continue }
            return String(fields[9])
        }
        return nil
    }

    /// The socket-activation variables and the socket inodes of fd 3 and 4 of `pid`.
    static func inherited(_ pid: Int32) throws -> (variables: [Substring], fd3: String?, fd4: String?) {
        let environment = try String(contentsOfFile: "/proc/\(pid)/environ", encoding: .utf8)
            .split(separator: "\0").filter { $0.hasPrefix("LISTEN_") }.sorted()
        func inode(_ fd: Int) -> String? {
            readLink("/proc/\(pid)/fd/\(fd)").flatMap { link in
                link.hasPrefix("socket:[") ? String(link.dropFirst(8).dropLast()) : nil
            }
        }
        return (environment, inode(3), inode(4))
    }

    @Test func replicasInheritTheTLSSocketOnStartRestartAndRollout() async throws {
        try await withTLSGateway(replicas: 1, name: "gateway.test") { control, upstream, _ in
            try await Self.check(RolloutGateway(control: control, upstream: upstream))
        }
    }

    static func check(_ gateway: RolloutGateway) async throws {
        let control = gateway.control

        let tlsPort = try #require(control.proxyTLSPort)
        #expect(tlsPort != 0 && tlsPort != control.proxyPort)
        let plainInode = Self.listeningInode(port: control.proxyPort)
        let tlsInode = Self.listeningInode(port: tlsPort)
        #expect(plainInode != nil && tlsInode != nil)
        let expected: [Substring] = ["LISTEN_FDNAMES=proxy:proxy-tls", "LISTEN_FDS=2"]

        let status = try await control.admin(.GET, "/config/status").decode(ConfigStatus.self).tls
        #expect(status.listener == "127.0.0.1:\(tlsPort)")
        #expect(status.certificates.first?.subject == "CN=gateway.test")
        #expect(
            try String(contentsOf: replicaFile(control), encoding: .utf8).contains(
                #""proxy_tls":"127.0.0.1:\#(tlsPort)""#))

        let first = try await gateway.readyPids(1)[0]
        let started = try Self.inherited(first)
        #expect(started.variables == expected && started.fd3 == plainInode && started.fd4 == tlsInode, "\(started)")
        // The plaintext proxy serves as before.
        let response = try await TestHTTP.request(
            .GET, "http://127.0.0.1:\(control.proxyPort)/orchestrator/svc/x", headers: [("Connection", "close")])
        #expect(response.status == 200)

        kill(first, SIGKILL)
        let second = try await eventually("the replica restarted", timeout: 60) { () -> Int32? in
            let pids = control.replicaPids
            return pids.count == 1 && pids[0] != first ? pids[0] : nil
        }
        let restarted = try Self.inherited(second)
        #expect(
            restarted.variables == expected && restarted.fd3 == plainInode && restarted.fd4 == tlsInode,
            "\(restarted)")

        _ = try await gateway.readyPids(1)
        #expect(try await gateway.startRollout().status == 202)
        let rollout = try await gateway.finishedRollout()
        #expect(rollout.state == "succeeded", "\(rollout)")
        let third = try await gateway.readyPids(1)[0]
        #expect(third != second)
        let rolled = try Self.inherited(third)
        #expect(rolled.variables == expected && rolled.fd3 == plainInode && rolled.fd4 == tlsInode, "\(rolled)")
    }
}
