import AdminAPI
import Foundation
import NIOHTTP1
import Shared
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Changes reach replicas as deltas: a burst of writes converges on every replica, also on one
/// killed in the middle of it, and a rollback to a version from before it restores that state.
@Suite(.endToEnd) struct SnapshotDeltaPushTests {
    /// Waits until every connected replica (`count` of them) acknowledged the current version;
    /// returns it.
    static func converged(_ control: ControlPlaneHarness, replicas count: Int) async throws -> Int {
        try await eventually("\(count) replicas on the current version", timeout: 120, interval: 0.05) {
            () -> Int? in
            let listing = try await control.admin(.GET, "/dataplanes").decode(DataPlaneListing.self)
            let connected = listing.dataplanes.filter(\.connected)
            return connected.count == count && connected.allSatisfy({ $0.ackedVersion == listing.currentVersion })
                ? listing.currentVersion : nil
        }
    }

    static func status(_ control: ControlPlaneHarness, _ name: String) async throws -> Int {
        try await TestHTTP.request(
            .GET, "http://127.0.0.1:\(control.proxyPort)/orchestrator/\(name)/x", headers: [("Connection", "close")]
        ).status
    }

    @Test func aBurstConvergesEvenOnAReplicaKilledInItAndARollbackRestoresTheStateBeforeIt() async throws {
        // History long enough to roll back past the burst.
        try await withSupervisingControlPlane(replicas: 2, arguments: ["--snapshot-history", "5000"]) {
            control, upstream in
            let before = try await Self.converged(control, replicas: 2)
            let writes = 2000
            let done = Counter()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        for index in stride(from: worker, to: writes, by: 8) {
                            let body = #"{"name": "burst\#(index)", "url": "\#(upstream.baseURL)/burst\#(index)"}"#
                            let answer = try await control.admin(.POST, "/registry/endpoints", json: body)
                            try #require(answer.status == 200, "write \(index): \(answer.text)")
                            done.increment()
                        }
                    }
                }
                // A replica killed half-way misses some changes; its replacement starts from its
                // cache or from nothing and must end on the same content.
                group.addTask {
                    _ = try await eventually("half the writes", timeout: 300) { done.value >= writes / 2 ? true : nil }
                    if let pid = control.replicaPids.first { kill(pid, SIGKILL) }
                }
                try await group.waitForAll()
            }
            let after = try await Self.converged(control, replicas: 2)
            // Writes that waited for the commit turn together share a version: every one is in
            // the version both replicas serve, whatever the number of versions.
            #expect(after > before)
            let served = try await control.admin(.GET, "/snapshots/\(after)").decode(Snapshot.self)
            #expect(Set(served.endpoints.map(\.name)).isSuperset(of: (0..<writes).map { "burst\($0)" }))
            // Deltas did the work (the replicas log through the control plane's output).
            #expect(control.process.errorOutput.contains("serving snapshot from delta"))
            let routes = try await control.admin(.GET, "/router/routes")
            #expect(routes.status == 200)
            for name in ["svc", "burst0", "burst\(writes / 2)", "burst\(writes - 1)"] {
                #expect(try await Self.status(control, name) == 200, "\(name)")
            }

            // Back to before the burst: every replica gets exactly that state again.
            let rollback = try await control.admin(.POST, "/snapshots/\(before)/rollback")
            #expect(rollback.status == 200, "\(rollback.text)")
            let restored = try await Self.converged(control, replicas: 2)
            #expect(restored > after)
            let snapshot = try await control.admin(.GET, "/snapshots/\(restored)").decode(Snapshot.self)
            let original = try await control.admin(.GET, "/snapshots/\(before)").decode(Snapshot.self)
            #expect(snapshot.endpoints.map(\.config.name) == original.endpoints.map(\.config.name))
            for _ in 0..<2 {
                #expect(try await Self.status(control, "burst\(writes - 1)") == 404)
                #expect(try await Self.status(control, "svc") == 200)
            }
        }
    }
}

/// A count shared by concurrent tasks.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func increment() { lock.withLock { count += 1 } }
}
