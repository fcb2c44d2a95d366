import AdminAPI
import Foundation
import NIOHTTP1
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A control plane supervising replicas whose executable is `dp` in the test directory: a
/// symbolic link to the real `orch-data-plane` that a test may replace (binary upgrade, a broken
/// binary).
struct RolloutGateway {
    let control: ControlPlaneHarness
    let upstream: UpstreamServer

    var binary: URL { control.directory.file("dp") }
    var proxyURL: String { "http://127.0.0.1:\(control.proxyPort)/orchestrator/svc/item" }

    /// Points `dp` at the real data plane again.
    func useRealBinary() throws {
        try? FileManager.default.removeItem(at: binary)
        try FileManager.default.createSymbolicLink(at: binary, withDestinationURL: TestBinaries.url("orch-data-plane"))
    }

    /// Replaces `dp` with a shell script.
    func useScript(_ body: String) throws {
        let temporary = control.directory.file("dp.tmp")
        try "#!/bin/sh\n\(body)\n".write(to: temporary, atomically: true, encoding: .utf8)
        chmod(temporary.path, 0o755)
        guard rename(temporary.path, binary.path) == 0 else { throw RolloutTestError("cannot replace \(binary.path)") }
    }

    /// The supervised replicas' pids from `replicas.json` once there are `count` and every one
    /// has acknowledged the current snapshot.
    func readyPids(_ count: Int) async throws -> [Int32] {
        try await eventually("\(count) replicas acknowledging the current snapshot", timeout: 60) { () -> [Int32]? in
            let pids = control.replicaPids
            let listing = try await control.admin(.GET, "/dataplanes").decode(DataPlaneListing.self)
            let acked = listing.dataplanes.filter { $0.connected && $0.ackedVersion == listing.currentVersion }
                .map(\.pid)
            return pids.count == count && Set(pids.map(Int.init)).isSubset(of: Set(acked)) ? pids.sorted() : nil
        }
    }

    /// Starts a rollout; returns the answer.
    func startRollout(_ body: String? = nil) async throws -> TestResponse {
        try await control.admin(.POST, "/dataplanes/rollout", json: body)
    }

    /// Waits for the rollout to finish and returns its status.
    func finishedRollout(timeout: Double = 90) async throws -> RolloutProgress {
        try await eventually("the rollout finishing", timeout: timeout, interval: 0.1) { () -> RolloutProgress? in
            let status = try await control.admin(.GET, "/dataplanes/rollout").decode(RolloutProgress.self)
            return status.isFinished ? status : nil
        }
    }
}

/// Runs `body` with a supervising control plane whose replicas run from a replaceable `dp` link;
/// stops everything afterwards, also on failure.
func withRolloutGateway(
    replicas: Int, readyTimeout: Double = 30, upstream behaviour: UpstreamBehaviour = .echo,
    _ body: (RolloutGateway) async throws -> Void
) async throws {
    let upstream = try await UpstreamServer.start(behaviour)
    let directory = try TestDirectory()
    try FileManager.default.createSymbolicLink(
        at: directory.file("dp"), withDestinationURL: TestBinaries.url("orch-data-plane"))
    let control: ControlPlaneHarness
    do {
        control = try await ControlPlaneHarness.start(
            config: """
                health_check:
                  enabled: false
                endpoints:
                  - name: svc
                    url: \(upstream.baseURL)/api
                """, replicas: replicas,
            arguments: ["--data-plane-binary", directory.file("dp").path, "--drain-timeout", "2"],
            environment: ["ORCH_ROLLOUT_READY_TIMEOUT": String(readyTimeout)], directory: directory)
    } catch {
        directory.remove()
        await upstream.stop()
        throw error
    }
    var failure: (any Error)?
    do {
        try await body(RolloutGateway(control: control, upstream: upstream))
    } catch {
        failure = error
    }
    control.stop()
    await upstream.stop()
    if let failure { throw failure }
}

struct RolloutTestError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
