import AdminAPI
import Foundation
import NIOCore
import NIOHTTP1
import Shared
import TestSupport
import Testing

@testable import ControlPlane

#if canImport(Glibc)
    import Glibc
#endif

/// `orch-control-plane --replicas N` end to end: it binds the proxy port, its replicas serve it,
/// they outlive a `kill -9` of the control plane, and SIGTERM stops them.
@Suite(.endToEnd, .serialized) struct SupervisionControlPlaneTests {
    @Test func replicasServeTheProxyPortAndOutliveAKill9OfTheControlPlane() async throws {
        try await withSupervisingControlPlane(replicas: 2) { control, upstream in
            let entries = try await waitForReplicaFile(control) { $0.count == 2 }
            defer { for entry in entries { kill(entry.pid, SIGKILL) } }
            let url = "http://127.0.0.1:\(control.proxyPort)/orchestrator/svc/item?id=7"
            _ = try await eventually("a proxied request", timeout: 60) { () -> TestResponse? in
                let response = try await TestHTTP.request(.GET, url, headers: [("Connection", "close")])
                return response.status == 200 ? response : nil
            }
            #expect(upstream.requests.last?.uri == "/api/item?id=7")

            // Both replicas hold the current snapshot before the control plane goes away.
            let listing = try await eventually("both replicas acknowledging", timeout: 60) { () -> DataPlaneListing? in
                let listing = try await control.admin(.GET, "/dataplanes").decode(DataPlaneListing.self)
                let acked = listing.dataplanes.compactMap(\.ackedVersion)
                return acked.count == 2 && acked.allSatisfy { $0 == listing.currentVersion } ? listing : nil
            }
            #expect(listing.supervised.compactMap(\.pid).sorted() == entries.map(\.pid).sorted())

            control.kill9()
            let pids = try await waitForReplicaFile(control) { $0.count == 2 }.map(\.pid)
            #expect(pids.allSatisfy(isAlive))
            for _ in 0..<10 {
                let response = try await TestHTTP.request(.GET, url, headers: [("Connection", "close")])
                #expect(response.status == 200)
            }
            #expect(pids.allSatisfy(isAlive))
        }
    }

    @Test func twoReplicasShareTheMachinesCoresBetweenTheirEventLoops() async throws {
        try await withSupervisingControlPlane(replicas: 2) { control, _ in
            let entries = try await waitForReplicaFile(control) { $0.count == 2 }
            defer { for entry in entries where isAlive(entry.pid) { kill(entry.pid, SIGKILL) } }
            let expected = ProcessLayout.eventLoops(cores: System.coreCount, sharedBy: 2)
            for entry in entries {
                // A replica starts its event loops before it connects; wait for them all the same.
                let loops = try await eventually("replica \(entry.pid)'s event loops", timeout: 60) { () -> Int? in
                    let count = eventLoopThreads(of: entry.pid)
                    return count >= expected ? count : nil
                }
                #expect(loops == expected)
            }
        }
    }

    @Test func sigtermStopsEveryReplica() async throws {
        try await withSupervisingControlPlane(replicas: 2) { control, _ in
            let entries = try await waitForReplicaFile(control) { $0.count == 2 }
            defer { for entry in entries where isAlive(entry.pid) { kill(entry.pid, SIGKILL) } }
            _ = try await eventually("replicas answering", timeout: 60) { () -> Bool? in
                let health = try await TestHTTP.request(
                    .GET, "http://127.0.0.1:\(control.proxyPort)/health", headers: [("Connection", "close")])
                return health.status == 200 ? true : nil
            }
            control.process.stop()
            #expect(control.process.process.terminationStatus == 0)
            #expect(entries.allSatisfy { !isAlive($0.pid) })
            #expect(try ReplicaRegistryFile.read(from: replicaFile(control)).isEmpty)
        }
    }
}

/// The event loop threads (`NIO-ELT-*`) process `pid` runs now.
func eventLoopThreads(of pid: pid_t) -> Int {
    let tasks = "/proc/\(pid)/task"
    let threads = (try? FileManager.default.contentsOfDirectory(atPath: tasks)) ?? []
    return threads.filter { thread in
        let name = (try? String(contentsOfFile: "\(tasks)/\(thread)/comm", encoding: .utf8)) ?? ""
        return name.hasPrefix("NIO-ELT-")
    }.count
}

func replicaFile(_ control: ControlPlaneHarness) -> URL {
    ReplicaRegistryFile.url(dataDirectory: control.dataDir)
}

func waitForReplicaFile(
    _ control: ControlPlaneHarness, _ condition: @escaping ([ReplicaRegistryFile.Entry]) -> Bool
) async throws -> [ReplicaRegistryFile.Entry] {
    try await eventually("replicas.json", timeout: 60) { () -> [ReplicaRegistryFile.Entry]? in
        let entries = try ReplicaRegistryFile.read(from: replicaFile(control))
        return condition(entries) ? entries : nil
    }
}

/// A control plane supervising `replicas` data planes in front of an upstream; stops all after.
func withSupervisingControlPlane(
    replicas: Int, arguments: [String] = [], _ body: (ControlPlaneHarness, UpstreamServer) async throws -> Void
) async throws {
    let upstream = try await UpstreamServer.start(.echo)
    let control: ControlPlaneHarness
    do {
        control = try await ControlPlaneHarness.start(
            config: """
                health_check:
                  enabled: false
                endpoints:
                  - name: svc
                    url: \(upstream.baseURL)/api
                """, replicas: replicas, arguments: arguments)
    } catch {
        await upstream.stop()
        throw error
    }
    var failure: (any Error)?
    do {
        try await body(control, upstream)
    } catch {
        failure = error
    }
    control.stop()
    await upstream.stop()
    if let failure { throw failure }
}
