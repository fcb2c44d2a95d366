import AdminAPI
import Foundation
import Shared
import TestSupport
import Testing

/// The config file's `proxy:` section travels in snapshots to every replica and shows in
/// `/config/status`.
@Suite(.endToEnd) struct ProxyLimitsPublicationTests {
    static let seedConfig = ConfigFileTests.seedConfig

    /// The seed config with a `proxy:` section of `lines` appended; its first key is on line
    /// ``proxyLine`` + 1.
    static func config(proxy lines: [String]) -> String {
        seedConfig + "\nproxy:\n" + lines.map { "  " + $0 + "\n" }.joined()
    }

    /// The line of `proxy:` in ``config(proxy:)``.
    static var proxyLine: Int { seedConfig.split(separator: "\n", omittingEmptySubsequences: false).count + 1 }

    static func statusLimits(_ gateway: ControlPlaneHarness) async throws -> ProxyLimits {
        try await gateway.admin(.GET, "/config/status").decode(ConfigStatus.self).proxy
    }

    static func snapshotLimits(_ gateway: ControlPlaneHarness, version: Int) async throws -> ProxyLimits? {
        try await gateway.admin(.GET, "/snapshots/\(version)").decode(Snapshot.self).proxy
    }

    @Test func editOfOnlyTheProxySectionIsPublishedAndShown() async throws {
        let gateway = try await ControlPlaneHarness.start(config: Self.seedConfig)
        defer { gateway.stop() }
        let replica = try await ControlSocketClient.connect(path: gateway.socketPath)
        try await replica.send(.hello(.init(replicaId: "limits-test", pid: 1, version: nil)))
        let first = try await replica.receiveSnapshot()
        #expect(first.proxy == nil)
        try await replica.send(.ack(version: first.version))
        let defaults = try await Self.statusLimits(gateway)
        #expect(defaults.headerTimeout == 30)
        #expect(defaults.bodyTimeout == 60)
        #expect(defaults.idleTimeout == 75)
        #expect(defaults.sendTimeout == 60)
        #expect(defaults.maxConnections == 16384)
        #expect(defaults.maxURIBytes == 8192)
        #expect(defaults.maxHeaderBytes == 32768)
        #expect(defaults.maxHeaders == 100)
        #expect(defaults.maxPipelined == 16)

        try gateway.writeConfig(
            Self.config(proxy: ["header_timeout: 2.5", "max_connections: 500", "max_pipelined: 4"]))
        let second = try await replica.receiveSnapshot(timeout: 30)
        #expect(second.version > first.version)
        #expect(second.cause == "config file changed")
        #expect(second.endpoints == first.endpoints)
        #expect(second.proxy == ProxyLimits(headerTimeout: 2.5, maxConnections: 500, maxPipelined: 4))
        try await replica.send(.ack(version: second.version))

        let shown = try await Self.statusLimits(gateway)
        #expect(shown.headerTimeout == 2.5)
        #expect(shown.maxConnections == 500)
        #expect(shown.maxPipelined == 4)
        #expect(shown.maxHeaders == 100)
        #expect(try await Self.snapshotLimits(gateway, version: second.version)?.maxConnections == 500)

        // An invalid value is refused with its field and line; the published limits stay.
        try gateway.writeConfig(Self.config(proxy: ["header_timeout: 2.5", "max_headers: 0"]))
        let status = try await eventually("reload error for max_headers") { () -> ConfigStatus? in
            let status = try await gateway.admin(.GET, "/config/status").decode(ConfigStatus.self)
            return status.lastReloadError != nil ? status : nil
        }
        let errors = status.lastReloadErrors
        #expect(errors.count == 1, "\(errors)")
        #expect(errors.first?.field == "proxy.max_headers")
        #expect(errors.first?.line == Self.proxyLine + 2)
        #expect(errors.first?.message.contains("between 1 and 10000") == true)
        #expect(try await ConfigFileTests.currentVersion(gateway) == second.version)
        #expect(try await Self.statusLimits(gateway).maxConnections == 500)

        // Removing the section goes back to the defaults, again in a new snapshot.
        try gateway.writeConfig(Self.seedConfig)
        let third = try await replica.receiveSnapshot(timeout: 30)
        #expect(third.version > second.version)
        #expect(third.proxy == nil)
        #expect(third.checksum == first.checksum)
        #expect(try await Self.statusLimits(gateway).maxConnections == 16384)
        await replica.close()
    }

    @Test func limitsSurviveARestartAndRollbackRestoresThem() async throws {
        let gateway = try await ControlPlaneHarness.start(config: Self.config(proxy: ["max_headers: 42"]))
        defer { gateway.stop() }
        let applied = try await ConfigFileTests.currentVersion(gateway)
        #expect(try await Self.snapshotLimits(gateway, version: applied)?.maxHeaders == 42)

        try await gateway.restart()
        #expect(try await Self.statusLimits(gateway).maxHeaders == 42)
        // Same file, same store: the restart publishes the stored snapshot again, no new version.
        #expect(try await ConfigFileTests.currentVersion(gateway) == applied)

        try gateway.writeConfig(Self.config(proxy: ["max_headers: 43"]))
        let edited = try await eventually("edit applied") { () -> Int? in
            let version = try await ConfigFileTests.currentVersion(gateway)
            return version > applied ? version : nil
        }
        #expect(try await Self.statusLimits(gateway).maxHeaders == 43)

        let rolled = try await gateway.admin(.POST, "/snapshots/\(applied)/rollback")
        #expect(rolled.status == 200)
        let restored = try rolled.decode(RollbackResult.self).version
        #expect(restored > edited)
        #expect(try await Self.snapshotLimits(gateway, version: restored)?.maxHeaders == 42)
        #expect(try await Self.statusLimits(gateway).maxHeaders == 42)

        // Version 1 predates the file (the empty store at first start): no limits, so the defaults.
        let empty = try await gateway.admin(.POST, "/snapshots/1/rollback")
        #expect(empty.status == 200)
        let emptied = try empty.decode(RollbackResult.self).version
        #expect(try await Self.snapshotLimits(gateway, version: emptied) == nil)
        #expect(try await Self.statusLimits(gateway).maxHeaders == 100)
    }

    @Test func runningReplicasAcceptEachChangeOfTheLimits() async throws {
        let gateway = try await ControlPlaneHarness.start(
            config: Self.config(proxy: ["max_headers: 42"]), replicas: 2)
        defer { gateway.stop() }

        /// Waits until every replica acknowledged the current version, with no rejection of it.
        func everyReplicaAcknowledges(_ label: String) async throws -> Int {
            try await eventually(label, timeout: 60) { () -> Int? in
                let version = try await ConfigFileTests.currentVersion(gateway)
                let replicas = try await gateway.admin(.GET, "/dataplanes").decode(DataPlaneListing.self).dataplanes
                let connected = replicas.filter(\.connected)
                #expect(!connected.contains { $0.lastNack?.version == version }, "\(replicas)")
                return connected.count == 2 && connected.allSatisfy { $0.ackedVersion == version } ? version : nil
            }
        }
        let first = try await everyReplicaAcknowledges("replicas acknowledge the first limits")
        #expect(try await Self.snapshotLimits(gateway, version: first)?.maxHeaders == 42)

        try gateway.writeConfig(Self.config(proxy: ["max_headers: 43", "idle_timeout: 0.25"]))
        _ = try await eventually("edit published") { () -> Int? in
            let version = try await ConfigFileTests.currentVersion(gateway)
            return version > first ? version : nil
        }
        let second = try await everyReplicaAcknowledges("replicas acknowledge the edited limits")
        let limits = try await Self.snapshotLimits(gateway, version: second)
        #expect(limits?.maxHeaders == 43)
        #expect(limits?.idleTimeout == 0.25)
    }
}
