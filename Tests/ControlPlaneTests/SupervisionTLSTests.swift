import Foundation
import Shared
import TestSupport
import Testing

@testable import ControlPlane

#if canImport(Glibc)
    import Glibc
#endif

/// A second, TLS listening socket (`--proxy-tls-address`) handed to every replica as fd 4, the
/// way the plaintext one is handed over as fd 3: on start, restart and rollout.
@Suite(.endToEnd) struct SupervisionTLSTests {
    static func configuration(tls: Int32?) -> ReplicaSupervisor.Configuration {
        .init(
            executable: URL(fileURLWithPath: "/opt/orch/orch-data-plane"), replicaCount: 1, listenSocket: 7,
            controlSocketPath: "/var/lib/orch/control.sock", dataDirectory: URL(fileURLWithPath: "/var/lib/orch"),
            tlsListenSocket: tls)
    }

    @Test func theEnvironmentNamesBothSocketsOnlyWithATLSListener() {
        let parent = [
            "PATH": "/usr/bin", "LISTEN_FDS": "1", "LISTEN_FDNAMES": "proxy", "ORCH_LISTEN_TLS": "0.0.0.0:443",
        ]
        #expect(
            Self.configuration(tls: 8).environment(from: parent, slot: 1) == [
                "PATH": "/usr/bin", "LISTEN_FDS": "2", "LISTEN_FDNAMES": "proxy:proxy-tls", "ORCH_REPLICA_SLOT": "1",
            ])
        #expect(
            Self.configuration(tls: nil).environment(from: parent, slot: 1) == [
                "PATH": "/usr/bin", "LISTEN_FDS": "1", "LISTEN_FDNAMES": "proxy", "ORCH_REPLICA_SLOT": "1",
            ])
        #expect(Self.configuration(tls: 8).listeners == [.proxy, .proxyTLS])
        #expect(Self.configuration(tls: nil).listeners == [.proxy])
    }

    @Test func replicasDoNotInheritTheAdminToken() {
        let parent = [
            "PATH": "/usr/bin", "ORCH_ADMIN_TOKEN": "0123456789abcdef0123", "ORCH_ADMIN_URL": "http://127.0.0.1:8001",
            "ORCH_ACCESS_LOG": "off",
        ]
        let environment = Self.configuration(tls: nil).environment(from: parent, slot: 2)
        #expect(environment["ORCH_ADMIN_TOKEN"] == nil)
        #expect(environment["ORCH_ADMIN_URL"] == nil)
        #expect(environment["ORCH_ACCESS_LOG"] == "off", "the replicas' own settings still pass")
    }

    @Test func bothSocketsBecomeDescriptorsThreeAndFourAndNothingElseIsInherited() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let plain = try ListeningSocket("127.0.0.1:0")
        defer { plain.close() }
        let tls = try ListeningSocket("127.0.0.1:0")
        defer { tls.close() }
        let out = directory.file("out").path
        let pid = try ProcessSpawner.spawn(
            .init(
                executable: "/bin/sh",
                arguments: [
                    "-c",
                    "for fd in 3 4 5; do readlink /proc/self/fd/$fd || echo \"$fd closed\"; done > \"$OUT\"",
                ], environment: ["OUT": out, "PATH": "/usr/bin:/bin"],
                inheritedSockets: [plain.fileDescriptor, tls.fileDescriptor]))
        await ProcessExit.waitForExit(pid)
        #expect(ProcessExit.reap(pid) == .exited(0))
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(lines)")
        #expect(lines.first == readLink("/proc/self/fd/\(plain.fileDescriptor)"))
        #expect(lines.dropFirst().first == readLink("/proc/self/fd/\(tls.fileDescriptor)"))
        #expect(lines.last == "5 closed")
    }

    @Test func replicasGetTheTLSSocketOnStartRestartAndRollout() async throws {
        try await withSupervisedScript("exec sleep 300", replicas: 1, tls: true) { fixture in
            let tls = try #require(fixture.tlsSocket)
            let plainLink = readLink("/proc/self/fd/\(fixture.socket.fileDescriptor)")
            let tlsLink = readLink("/proc/self/fd/\(tls.fileDescriptor)")

            /// What a replica inherited: its fd 3 and 4 and its socket-activation variables.
            func inherited(_ pid: Int32) throws -> (String?, String?, [Substring]) {
                let environment = try String(contentsOfFile: "/proc/\(pid)/environ", encoding: .utf8)
                    .split(separator: "\0").filter { $0.hasPrefix("LISTEN_") }
                return (readLink("/proc/\(pid)/fd/3"), readLink("/proc/\(pid)/fd/4"), environment.sorted())
            }

            /// ``inherited(_:)`` once the replica runs its own program: just after the spawn, its
            /// `/proc` entries may still be those of the process before the `exec`.
            func inheritedOnceStarted(_ pid: Int32) async throws -> (String?, String?, [Substring]) {
                try await eventually("replica \(pid) runs with its environment", timeout: 30) {
                    let found = try inherited(pid)
                    return found.2.isEmpty ? nil : found
                }
            }
            let expected: [Substring] = ["LISTEN_FDNAMES=proxy:proxy-tls", "LISTEN_FDS=2"]

            let first = try await fixture.waitForRegistry("a running replica") { $0.count == 1 }[0].pid
            let started = try await inheritedOnceStarted(first)
            #expect(started.0 == plainLink && started.1 == tlsLink && started.2 == expected, "\(started)")
            #expect(
                try String(contentsOf: fixture.registryURL, encoding: .utf8).contains(
                    #""proxy_tls":"\#(tls.address.description)""#))

            kill(first, SIGKILL)
            let second = try await fixture.waitForRegistry("the replica restarted") {
                $0.count == 1 && $0[0].pid != first
            }[0].pid
            let restarted = try await inheritedOnceStarted(second)
            #expect(restarted.0 == plainLink && restarted.1 == tlsLink && restarted.2 == expected, "\(restarted)")

            _ = try fixture.supervisor.startRollout()
            let rolled = try await eventually("the rollout", timeout: 60) { () -> RolloutStatus? in
                let status = fixture.supervisor.rollout
                return status.state == .running ? nil : status
            }
            #expect(rolled.state == .succeeded, "\(rolled)")
            let third = try #require(rolled.steps.first?.newPid)
            #expect(third != second)
            let rolledOut = try await inheritedOnceStarted(third)
            #expect(rolledOut.0 == plainLink && rolledOut.1 == tlsLink && rolledOut.2 == expected, "\(rolledOut)")
        }
    }

    @Test func aReplicaWaitsForTheTLSSocketAnAdoptedReplicaHasNotHandedOverYet() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let executable = directory.file("data-plane.sh")
        try "#!/bin/sh\nexec sleep 300\n".write(to: executable, atomically: false, encoding: .utf8)
        chmod(executable.path, 0o755)
        let plain = try ListeningSocket("127.0.0.1:0")
        defer { plain.close() }
        let supervisor = ReplicaSupervisor(
            configuration: .init(
                executable: executable, replicaCount: 1, listenSocket: plain.fileDescriptor,
                controlSocketPath: directory.file("control.sock").path, dataDirectory: directory.file("data"),
                tlsListenSocket: -1))
        let fixture = SupervisorFixture(directory: directory, socket: plain, supervisor: supervisor)
        defer {
            fixture.killAll()
            fixture.task.cancel()
        }
        #expect(!supervisor.hasListenSocket)
        #expect(supervisor.missingListeners == [.proxyTLS])
        // A rollout cannot start a replica without the socket either, and says which one is missing.
        _ = try await eventually("the rollout to start") { try? supervisor.startRollout() }
        let refused = try await eventually("the rollout to fail") { () -> RolloutStatus? in
            supervisor.rollout.state == .running ? nil : supervisor.rollout
        }
        #expect(refused.state == .failed)
        #expect(refused.error == "the adopted replicas have not handed over the proxy-tls socket yet")
        #expect(supervisor.replicas[0].pid == nil)

        let tls = try ListeningSocket("127.0.0.1:0")
        supervisor.listenerArrived(tls, as: .proxyTLS)
        #expect(supervisor.hasListenSocket)
        #expect(supervisor.missingListeners.isEmpty)
        let pid = try await fixture.waitForRegistry("the replica started") { $0.count == 1 }[0].pid
        #expect(readLink("/proc/\(pid)/fd/3") == readLink("/proc/self/fd/\(plain.fileDescriptor)"))
        #expect(readLink("/proc/\(pid)/fd/4") == readLink("/proc/self/fd/\(tls.fileDescriptor)"))
        try await fixture.stop()
    }
}
