import Foundation
import Shared
import TestSupport
import Testing

@testable import ControlPlane

#if canImport(Glibc)
    import Glibc
#endif

/// `ReplicaSupervisor` supervising real processes: small shell scripts that stand in for the data
/// plane where only the process lifecycle matters (restart, backoff, shutdown, replicas.json).
@Suite(.endToEnd) struct SupervisionSupervisorTests {
    @Test func startsReplicasOnTheSharedSocketAndRestartsOneThatIsKilled() async throws {
        try await withSupervisedScript(
            """
            echo "$@" > "$(dirname "$0")/args.$$"
            exec sleep 300
            """, replicas: 2
        ) { fixture in
            let first = try await fixture.waitForRegistry("two running replicas") { $0.count == 2 }
            #expect(first.map(\.slot) == [1, 2])
            #expect(first.allSatisfy { $0.restarts == 0 && isAlive($0.pid) })
            #expect(Set(first.map(\.pid)).count == 2)

            let pid = first[0].pid
            let link = try FileManager.default.destinationOfSymbolicLink(
                atPath: "/proc/self/fd/\(fixture.socket.fileDescriptor)")
            #expect(readLink("/proc/\(pid)/fd/3") == link)
            let environment = try String(contentsOfFile: "/proc/\(pid)/environ", encoding: .utf8)
                .split(separator: "\0")
            #expect(environment.contains("LISTEN_FDS=1"))
            #expect(environment.contains("LISTEN_FDNAMES=proxy"))
            #expect(!environment.contains { $0.hasPrefix("LISTEN_PID=") })
            let arguments = try await eventually("the replica's arguments") {
                try? String(contentsOf: fixture.directory.file("args.\(pid)"), encoding: .utf8)
            }
            let data = fixture.directory.file("data").path
            #expect(
                arguments == "--control-socket \(fixture.directory.path)/control.sock --cache-dir \(data)/cache "
                    + "--supervised --log-level info --drain-timeout 5\n")

            kill(pid, SIGKILL)
            let second = try await fixture.waitForRegistry("slot 1 restarted") {
                $0.count == 2 && $0[0].pid != pid
            }
            #expect(second[0].restarts == 1)
            #expect(second[1] == first[1])
            #expect(isAlive(second[0].pid))
            let status1 = fixture.supervisor.replicas[0]
            #expect(status1.lastExit == .signaled(SIGKILL))
            #expect(status1.state == .running)

            try await fixture.stop()
            #expect(try fixture.registry().isEmpty)
            #expect(fixture.supervisor.replicas.allSatisfy { $0.state == .stopped && $0.pid == nil })
            #expect(fixture.supervisor.replicas.map(\.lastExit) == [.signaled(SIGTERM), .signaled(SIGTERM)])
            #expect(!isAlive(second[0].pid) && !isAlive(second[1].pid))
        }
    }

    @Test func aReplicaThatIgnoresSIGTERMIsKilledAfterTheDrainTimeout() async throws {
        try await withSupervisedScript(
            """
            trap '' TERM
            exec sleep 300
            """, replicas: 1, drainTimeout: .milliseconds(300), killMargin: .milliseconds(200)
        ) { fixture in
            let entries = try await fixture.waitForRegistry("a running replica") { $0.count == 1 }
            let started = ContinuousClock.now
            try await fixture.stop()
            #expect(ContinuousClock.now - started >= .milliseconds(500))
            #expect(fixture.supervisor.replicas[0].lastExit == .signaled(SIGKILL))
            #expect(!isAlive(entries[0].pid))
        }
    }

    @Test func aCrashingReplicaIsRestartedWithGrowingDelays() async throws {
        try await withSupervisedScript(
            "exit 3", replicas: 1, restartDelay: .milliseconds(50), maximumRestartDelay: .milliseconds(400)
        ) { fixture in
            let started = ContinuousClock.now
            let status = try await eventually("four restarts", timeout: 90) { () -> ReplicaProcessStatus? in
                let status = fixture.supervisor.replicas[0]
                return status.restarts >= 4 ? status : nil
            }
            let elapsed = ContinuousClock.now - started
            #expect(status.lastExit == .exited(3))
            // Restart n waits 50 ms * 2^(n-1), at most 400 ms: a busy loop would restart far more often.
            var budget = Duration.zero
            var possible = 0
            while true {
                budget += min(.milliseconds(50) * (1 << min(possible, 10)), .milliseconds(400))
                if budget > elapsed { break }
                possible += 1
            }
            #expect(fixture.supervisor.replicas[0].restarts <= possible + 1)
            try await fixture.stop()
            #expect(fixture.supervisor.replicas[0].state == .stopped)
        }
    }

    @Test func aMissingExecutableFailsRunWithAClearError() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let supervisor = ReplicaSupervisor(
            configuration: .init(
                executable: directory.file("missing"), replicaCount: 1, listenSocket: -1,
                controlSocketPath: directory.file("control.sock").path, dataDirectory: directory.file("data")))
        await #expect {
            try await supervisor.run()
        } throws: { error in
            "\(error)" == "data-plane executable not found or not executable: \(directory.file("missing").path)"
        }
    }

    @Test func withZeroReplicasRunNeedsNoExecutableAndReturnsOnShutdown() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let supervisor = ReplicaSupervisor(
            configuration: .init(
                executable: directory.file("missing"), replicaCount: 0, listenSocket: -1,
                controlSocketPath: directory.file("control.sock").path, dataDirectory: directory.file("data")))
        let task = Task { try await supervisor.run() }
        task.cancel()
        try await task.value
        #expect(supervisor.replicas.isEmpty)
    }

    @Test func theRegistryFileIsReplacedAtomicallyAndReadBack() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let url = directory.file("replicas.json")
        #expect(try ReplicaRegistryFile.read(from: url).isEmpty)
        let entries = [ReplicaRegistryFile.Entry(pid: 123, slot: 1, startedAt: "2026-11-26T14:02:38Z", restarts: 2)]
        try ReplicaRegistryFile.write(entries, to: url)
        #expect(
            try String(contentsOf: url, encoding: .utf8)
                == #"{"replicas":[{"pid":123,"restarts":2,"slot":1,"started_at":"2026-11-26T14:02:38Z"}]}"#)
        #expect(try ReplicaRegistryFile.read(from: url) == entries)
        try ReplicaRegistryFile.write([], to: url)
        #expect(try ReplicaRegistryFile.read(from: url).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["replicas.json"])
    }
}

/// A supervisor running a script as its data plane, with the socket and directory it uses.
final class SupervisorFixture: Sendable {
    let directory: TestDirectory
    let socket: ListeningSocket
    /// The TLS socket replicas inherit as fd 4, when the fixture has one.
    let tlsSocket: ListeningSocket?
    let supervisor: ReplicaSupervisor
    let task: Task<Void, any Error>

    init(
        directory: TestDirectory, socket: ListeningSocket, tlsSocket: ListeningSocket? = nil,
        supervisor: ReplicaSupervisor
    ) {
        self.directory = directory
        self.socket = socket
        self.tlsSocket = tlsSocket
        self.supervisor = supervisor
        self.task = Task { try await supervisor.run() }
    }

    var registryURL: URL { ReplicaRegistryFile.url(dataDirectory: directory.file("data")) }

    func registry() throws -> [ReplicaRegistryFile.Entry] {
        try ReplicaRegistryFile.read(from: registryURL)
    }

    /// Waits until replicas.json satisfies `condition`; returns its entries.
    func waitForRegistry(
        _ what: String, _ condition: @escaping ([ReplicaRegistryFile.Entry]) -> Bool
    ) async throws -> [ReplicaRegistryFile.Entry] {
        try await eventually(what, timeout: 30) { () -> [ReplicaRegistryFile.Entry]? in
            let entries = try registry()
            return condition(entries) ? entries : nil
        }
    }

    /// Cancels the supervisor (its shutdown path) and waits for `run()` to return.
    func stop() async throws {
        task.cancel()
        try await task.value
    }

    /// Last resort after a failed test: no process may outlive it.
    func killAll() {
        for status in supervisor.replicas { if let pid = status.pid { kill(pid, SIGKILL) } }
        for entry in (try? registry()) ?? [] { kill(entry.pid, SIGKILL) }
    }
}

/// Runs `body` with a supervisor whose data plane is `script`; stops it and every replica after.
func withSupervisedScript(
    _ script: String,
    replicas: Int,
    drainTimeout: Duration = .seconds(5),
    killMargin: Duration = .seconds(2),
    restartDelay: Duration = .milliseconds(100),
    maximumRestartDelay: Duration = .seconds(10),
    tls: Bool = false,
    _ body: (SupervisorFixture) async throws -> Void
) async throws {
    let directory = try TestDirectory()
    let executable = directory.file("data-plane.sh")
    try ("#!/bin/sh\n" + script + "\n").write(to: executable, atomically: false, encoding: .utf8)
    chmod(executable.path, 0o755)
    let socket = try ListeningSocket("127.0.0.1:0")
    let tlsSocket = tls ? try ListeningSocket("127.0.0.1:0") : nil
    let supervisor = ReplicaSupervisor(
        configuration: .init(
            executable: executable, replicaCount: replicas, listenSocket: socket.fileDescriptor,
            controlSocketPath: directory.file("control.sock").path, dataDirectory: directory.file("data"),
            drainTimeout: drainTimeout, killMargin: killMargin, restartDelay: restartDelay,
            maximumRestartDelay: maximumRestartDelay, outputPath: directory.file("replicas.log").path,
            tlsListenSocket: tlsSocket?.fileDescriptor, proxyTLSAddress: tlsSocket?.address.description))
    let fixture = SupervisorFixture(directory: directory, socket: socket, tlsSocket: tlsSocket, supervisor: supervisor)
    do {
        try await body(fixture)
    } catch {
        fixture.killAll()
        try? await fixture.stop()
        socket.close()
        tlsSocket?.close()
        directory.remove()
        throw error
    }
    fixture.killAll()
    try? await fixture.stop()
    socket.close()
    tlsSocket?.close()
    directory.remove()
}

func isAlive(_ pid: Int32) -> Bool {
    kill(pid, 0) == 0
}

func readLink(_ path: String) -> String? {
    var buffer = [CChar](repeating: 0, count: 256)
    let count = readlink(path, &buffer, buffer.count - 1)
    guard count >= 0 else { return nil }
    return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
