import Foundation
import NIOHTTP1
import Shared
import TestSupport
import Testing

@testable import ControlPlane

#if canImport(Glibc)
    import Glibc
#endif

/// The supervisor running real `orch-data-plane` replicas on one shared port, fed by a real
/// `orch-control-plane` (started with `--replicas 0`) and proxying to a real upstream.
@Suite(.endToEnd, .serialized) struct SupervisionDataPlaneTests {
    @Test func replicasShareOnePortAndAKilledOneIsReplacedWhileThePortKeepsAnswering() async throws {
        try await withSupervisedDataPlanes(replicas: 2) { fixture in
            let first = try await fixture.waitForRegistry("two running replicas") { $0.count == 2 }
            #expect(Set(first.map(\.pid)).count == 2)

            let response = try await eventually("a proxied request", timeout: 60) { () -> TestResponse? in
                let response = try await fixture.get("/orchestrator/svc/hello?x=1&x=2")
                return response.status == 200 ? response : nil
            }
            #expect(response.json["method"] as? String == "GET")
            #expect(fixture.upstream.requests.last?.uri == "/base/hello?x=1&x=2")
            let ids = try await fixture.waitForEveryReplica()
            #expect(ids.count == 2)

            let victim = try fixture.registry()[0].pid
            kill(victim, SIGKILL)
            let second = try await fixture.waitForRegistry("slot 1 restarted") { $0.count == 2 && $0[0].pid != victim }
            #expect(second[0].restarts >= 1)
            #expect(!isAlive(victim))
            // The other replica keeps the shared socket answering while slot 1 comes back.
            for _ in 0..<20 {
                let response = try await fixture.get("/orchestrator/svc/again")
                if response.status == 503 && response.detail == "No routing snapshot loaded yet" {
                    withKnownIssue(
                        "a fresh replica accepts on the shared socket before it holds a snapshot", isIntermittent: true
                    ) {
                        #expect(response.status == 200)
                    }
                } else {
                    #expect(response.status == 200, "\(response.text)")
                }
            }
            _ = try await fixture.waitForEveryReplica()
        }
    }

    @Test func shutdownStopsEveryReplicaGracefully() async throws {
        try await withSupervisedDataPlanes(replicas: 2) { fixture in
            _ = try await fixture.waitForRegistry("two running replicas") { $0.count == 2 }
            _ = try await fixture.waitForEveryReplica()
            let entries = try fixture.registry()
            try await fixture.stop()
            #expect(try fixture.registry().isEmpty)
            #expect(entries.allSatisfy { !isAlive($0.pid) })
            #expect(fixture.supervisor.replicas.allSatisfy { $0.state == .stopped && $0.pid == nil })
            // SIGTERM makes a replica drain and exit cleanly, well before the kill deadline.
            #expect(fixture.supervisor.replicas.map(\.lastExit) == [.exited(0), .exited(0)])
        }
    }
}

/// A control plane, an upstream, a shared socket and a supervisor running real data planes.
final class SupervisedDataPlanes: Sendable {
    let control: ControlPlaneHarness
    let upstream: UpstreamServer
    let socket: ListeningSocket
    let supervisor: ReplicaSupervisor
    let task: Task<Void, any Error>

    init(control: ControlPlaneHarness, upstream: UpstreamServer, socket: ListeningSocket, supervisor: ReplicaSupervisor)
    {
        self.control = control
        self.upstream = upstream
        self.socket = socket
        self.supervisor = supervisor
        self.task = Task { try await supervisor.run() }
    }

    var baseURL: String { "http://127.0.0.1:\(socket.address.port)" }

    /// A request on a fresh connection, so that any replica may take it.
    func get(_ path: String) async throws -> TestResponse {
        try await TestHTTP.request(.GET, baseURL + path, headers: [("Connection", "close")], timeout: 20)
    }

    func registry() throws -> [ReplicaRegistryFile.Entry] {
        try ReplicaRegistryFile.read(from: ReplicaRegistryFile.url(dataDirectory: control.dataDir))
    }

    func waitForRegistry(
        _ what: String, _ condition: @escaping ([ReplicaRegistryFile.Entry]) -> Bool
    ) async throws -> [ReplicaRegistryFile.Entry] {
        try await eventually(what, timeout: 30) { () -> [ReplicaRegistryFile.Entry]? in
            let entries = try registry()
            return condition(entries) ? entries : nil
        }
    }

    /// Polls `/health` on fresh connections until all `count` replicas now in replicas.json have
    /// answered with a snapshot held (which replica accepts a connection is up to the kernel);
    /// returns the replica ids.
    func waitForEveryReplica(count: Int = 2) async throws -> Set<String> {
        var seen = Set<String>()
        return try await eventually("every replica answering /health", timeout: 60) { () -> Set<String>? in
            let health = try await get("/health")
            if health.status == 200, let id = health.json["replica_id"] as? String { seen.insert(id) }
            let pids = try registry().map(\.pid)
            let current = seen.filter { id in pids.contains { id.hasSuffix("-\($0)") } }
            return pids.count == count && current.count == count ? current : nil
        }
    }

    func stop() async throws {
        task.cancel()
        try await task.value
    }

    func killAll() {
        for status in supervisor.replicas { if let pid = status.pid { kill(pid, SIGKILL) } }
    }
}

/// Runs `body` with `replicas` supervised data planes; stops every process afterwards.
func withSupervisedDataPlanes(replicas: Int, _ body: (SupervisedDataPlanes) async throws -> Void) async throws {
    let upstream = try await UpstreamServer.start(.echo)
    let control: ControlPlaneHarness
    do {
        control = try await ControlPlaneHarness.start(
            config: """
                health_check:
                  enabled: false
                endpoints:
                  - name: svc
                    url: \(upstream.baseURL)/base
                    methods: [GET, POST]
                """, replicas: 0)
    } catch {
        await upstream.stop()
        throw error
    }
    let socket: ListeningSocket
    do {
        socket = try ListeningSocket("127.0.0.1:0")
    } catch {
        control.stop()
        await upstream.stop()
        throw error
    }
    let supervisor = ReplicaSupervisor(
        configuration: .init(
            executable: TestBinaries.url("orch-data-plane"), replicaCount: replicas,
            listenSocket: socket.fileDescriptor, controlSocketPath: control.socketPath,
            dataDirectory: control.dataDir, drainTimeout: .seconds(5),
            // Not the test runner's own output: a replica must never hold that open.
            outputPath: control.directory.file("replicas.log").path))
    let fixture = SupervisedDataPlanes(control: control, upstream: upstream, socket: socket, supervisor: supervisor)
    var failure: (any Error)?
    do {
        try await body(fixture)
    } catch {
        failure = error
        fixture.killAll()
    }
    try? await fixture.stop()
    socket.close()
    control.stop()
    await upstream.stop()
    if let failure { throw failure }
}
