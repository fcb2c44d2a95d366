import Foundation
import NIOHTTP1
import Shared
import TestSupport
import Testing

/// The snapshot protocol against a real Unix socket: hello, ACK/NACK, cache, reconnects.
@Suite(.endToEnd) struct SnapshotClientTests {
    /// A control server, an upstream and a replica in one directory; all stopped at the end.
    static func with(
        cachedSnapshot: ((String) -> Snapshot)? = nil,
        startControl: Bool = true,
        arguments: [String] = [],
        _ body: (DataPlaneHarness, UpstreamServer, DataPlaneControlServer?) async throws -> Void
    ) async throws {
        let directory = try TestDirectory()
        let upstream = try await UpstreamServer.start()
        let socket = directory.file("control.sock").path
        let control = startControl ? try await DataPlaneControlServer.start(path: socket) : nil
        let dataPlane: DataPlaneHarness
        do {
            dataPlane = try await DataPlaneHarness.start(
                cachedSnapshot: cachedSnapshot?(upstream.baseURL), controlSocket: socket, directory: directory,
                arguments: arguments)
        } catch {
            await control?.stop()
            await upstream.stop()
            directory.remove()
            throw error
        }
        do {
            try await body(dataPlane, upstream, control)
        } catch {
            print(dataPlane.process.logTail)
            dataPlane.stop()
            await control?.stop()
            await upstream.stop()
            throw error
        }
        dataPlane.stop()
        await control?.stop()
        await upstream.stop()
    }

    static func snapshot(_ version: Int, _ base: String, names: [String] = ["svc"]) -> Snapshot {
        .testing(version: version, names.map { .testing($0, url: base + "/\($0)") })
    }

    @Test func replicaSaysHelloServesAfterTheFirstSnapshotAndCachesIt() async throws {
        try await Self.with { dataPlane, upstream, control in
            let control = try #require(control)
            let before = try await TestHTTP.request(.GET, dataPlane.url("/health"))
            #expect(before.status == 503)
            #expect(before.json["status"] as? String == "starting")

            let replica = try await control.accept()
            guard case .hello(let hello) = try await replica.receiveSkippingReports() else {
                Issue.record("expected hello first")
                return
            }
            #expect(hello.replicaId == "test-replica")
            #expect(hello.version == nil)
            #expect(hello.pid == Int(dataPlane.process.pid))
            #expect(hello.supervised == false)

            try await replica.send(.snapshot(Self.snapshot(1, upstream.baseURL)))
            #expect(try await replica.receiveSkippingReports() == .ack(version: 1))
            let health = try await TestHTTP.request(.GET, dataPlane.url("/health"))
            #expect(health.status == 200)
            #expect(health.json["snapshot_version"] as? Int == 1)
            #expect(try await TestHTTP.request(.GET, dataPlane.url("/orchestrator/svc/a")).status == 200)

            // The cache is written after the acknowledgement, off the conversation.
            _ = try await eventually("version 1 cached") { () -> Bool? in
                let cached = try? Data(contentsOf: dataPlane.cacheDir.appendingPathComponent("snapshot.json"))
                return try cached.map { try Snapshot.validate(ConfigNode.parseJSON($0)).version } == 1 ? true : nil
            }
        }
    }

    @Test func aHealthUpdateFlipsAnEndpointWithoutANewVersionAndIsReported() async throws {
        try await Self.with { dataPlane, upstream, control in
            let replica = try await #require(control).accept()
            _ = try await replica.receiveSkippingReports()
            // An update for a version not served yet waits for its snapshot.
            try await replica.send(.health(HealthUpdate(version: 1, seq: 1, endpoints: ["svc": .unhealthy])))
            try await replica.send(.snapshot(Self.snapshot(1, upstream.baseURL)))
            #expect(try await Self.healthSeqOrAck(replica) == .ack(version: 1))
            let refused = try await TestHTTP.request(.GET, dataPlane.url("/orchestrator/svc/a"))
            #expect(refused.status == 503)
            #expect(refused.detail == "Endpoint is unhealthy")

            // Healthy again: the newest update replaces the earlier one; the version stays.
            try await replica.send(.health(HealthUpdate(version: 1, seq: 2, endpoints: [:])))
            #expect(try await Self.healthSeqOrAck(replica) == .report(ReplicaReport(healthSeq: 2)))
            #expect(try await TestHTTP.request(.GET, dataPlane.url("/orchestrator/svc/a")).status == 200)
            let health = try await TestHTTP.request(.GET, dataPlane.url("/health"))
            #expect(health.json["snapshot_version"] as? Int == 1)

            // One for an older version changes nothing.
            try await replica.send(.snapshot(Self.snapshot(2, upstream.baseURL)))
            #expect(try await Self.healthSeqOrAck(replica) == .ack(version: 2))
            try await replica.send(.health(HealthUpdate(version: 1, seq: 3, endpoints: ["svc": .unhealthy])))
            try await replica.send(.health(HealthUpdate(version: 2, seq: 4, endpoints: [:])))
            #expect(try await Self.healthSeqOrAck(replica) == .report(ReplicaReport(healthSeq: 4)))
            #expect(try await TestHTTP.request(.GET, dataPlane.url("/orchestrator/svc/a")).status == 200)
        }
    }

    /// The next ack, or the next report naming a health seq (periodic reports skipped).
    static func healthSeqOrAck(_ replica: ReplicaConnection) async throws -> DataPlaneMessage {
        while true {
            let message = try await replica.receive()
            switch message {
            case .report(let report) where report.healthSeq != nil: return message
            case .report: continue
            default: return message
            }
        }
    }

    @Test func invalidSnapshotIsNackedAndTheOldRoutesKeepServing() async throws {
        try await Self.with { dataPlane, upstream, control in
            let replica = try await #require(control).accept()
            _ = try await replica.receiveSkippingReports()
            try await replica.send(.snapshot(Self.snapshot(1, upstream.baseURL)))
            #expect(try await replica.receiveSkippingReports() == .ack(version: 1))

            var bad = Self.snapshot(2, upstream.baseURL, names: ["other"])
            bad.checksum = "0000000000000000"
            try await replica.send(.snapshot(bad))
            guard case .nack(let version, let error) = try await replica.receiveSkippingReports() else {
                Issue.record("expected a NACK")
                return
            }
            #expect(version == 2)
            #expect(error.contains("checksum"))

            try await replica.sendRaw(Data(#"{"type":"snapshot","snapshot":{"version":3,"endpoints":"nope"}}"#.utf8))
            guard case .nack(3, _) = try await replica.receiveSkippingReports() else {
                Issue.record("expected a NACK for version 3")
                return
            }

            #expect(try await TestHTTP.request(.GET, dataPlane.url("/orchestrator/svc/a")).status == 200)
            #expect(try await TestHTTP.request(.GET, dataPlane.url("/orchestrator/other/a")).status == 404)
            let health = try await TestHTTP.request(.GET, dataPlane.url("/health"))
            #expect(health.json["snapshot_version"] as? Int == 1)
        }
    }

    @Test func theSameSnapshotAgainIsAckedWithoutASwapButAnOlderVersionFromTheControlPlaneIsInstalled() async throws {
        try await Self.with { dataPlane, upstream, control in
            let replica = try await #require(control).accept()
            _ = try await replica.receiveSkippingReports()
            try await replica.send(.snapshot(Self.snapshot(5, upstream.baseURL)))
            #expect(try await replica.receiveSkippingReports() == .ack(version: 5))
            try await replica.send(.snapshot(Self.snapshot(5, upstream.baseURL)))
            #expect(try await replica.receiveSkippingReports() == .ack(version: 5))
            // A control plane whose store was reset numbers from 1 again: what it sends is served.
            try await replica.send(.snapshot(Self.snapshot(4, upstream.baseURL, names: ["older"])))
            #expect(try await replica.receiveSkippingReports() == .ack(version: 4))
            #expect(try await TestHTTP.request(.GET, dataPlane.url("/orchestrator/older/a")).status == 200)
            #expect(try await TestHTTP.request(.GET, dataPlane.url("/orchestrator/svc/a")).status == 404)
        }
    }

    @Test func aCachedVersionAboveAFreshControlPlanesIsReplacedNotKept() async throws {
        try await Self.with(cachedSnapshot: { Self.snapshot(9, $0, names: ["removed"]) }) {
            dataPlane, upstream, control in
            let replica = try await #require(control).accept()
            guard case .hello(let hello) = try await replica.receiveSkippingReports() else {
                Issue.record("expected hello first")
                return
            }
            #expect(hello.version == 9)
            try await replica.send(.snapshot(Self.snapshot(1, upstream.baseURL)))
            #expect(try await replica.receiveSkippingReports() == .ack(version: 1))
            #expect(try await TestHTTP.request(.GET, dataPlane.url("/orchestrator/removed/a")).status == 404)
            #expect(try await TestHTTP.request(.GET, dataPlane.url("/orchestrator/svc/a")).status == 200)
            // The cache is written after the acknowledgement, off the conversation.
            _ = try await eventually("version 1 cached") { () -> Bool? in
                let cached = try? Data(contentsOf: dataPlane.cacheDir.appendingPathComponent("snapshot.json"))
                return try cached.map { try Snapshot.validate(ConfigNode.parseJSON($0)).version } == 1 ? true : nil
            }
        }
    }

    @Test func replicaSaysWhichSnapshotItServesInAHeartbeatEachInterval() async throws {
        try await Self.with(arguments: ["--heartbeat-interval", "1"]) { _, upstream, control in
            let replica = try await #require(control).accept()
            guard case .hello = try await replica.receiveSkippingReports() else {
                Issue.record("expected hello first")
                return
            }
            let snapshot = Self.snapshot(1, upstream.baseURL)
            try await replica.send(.snapshot(snapshot))
            #expect(try await replica.receiveSkippingReports() == .ack(version: 1))
            // Reports come every second; wait for a heartbeat sent after the install.
            let served = DataPlaneMessage.Heartbeat(version: 1, checksum: snapshot.checksum)
            _ = try await eventually("a heartbeat naming version 1", timeout: 30) { () -> Bool? in
                _ = try await replica.receive()
                return replica.heartbeats.last == served ? true : nil
            }
            // The first one, sent with hello, named nothing: the replica held no snapshot.
            #expect(replica.heartbeats.first == DataPlaneMessage.Heartbeat(version: nil, checksum: nil))
        }
    }

    @Test func replicaReportsEverySecond() async throws {
        try await Self.with { dataPlane, upstream, control in
            let replica = try await #require(control).accept()
            _ = try await replica.receiveSkippingReports()
            try await replica.send(.snapshot(Self.snapshot(1, upstream.baseURL)))
            #expect(try await replica.receiveSkippingReports() == .ack(version: 1))
            _ = try await TestHTTP.request(.GET, dataPlane.url("/orchestrator/svc/a"))
            let served = try await eventually("a report counting the request", timeout: 30) { () -> Int? in
                guard case .report(let report) = try await replica.receive(timeout: 10) else { return nil }
                return (report.requests ?? 0) >= 1 ? report.requests : nil
            }
            #expect(served >= 1)
        }
    }

    @Test func replicaKeepsServingWithoutTheControlPlaneAndCatchesUpWhenItReturns() async throws {
        try await Self.with { dataPlane, upstream, control in
            let control = try #require(control)
            let replica = try await control.accept()
            _ = try await replica.receiveSkippingReports()
            try await replica.send(.snapshot(Self.snapshot(1, upstream.baseURL)))
            #expect(try await replica.receiveSkippingReports() == .ack(version: 1))

            // Stop listening first: otherwise the replica may reconnect to this server in between.
            await control.stop()
            await replica.close()
            #expect(try await TestHTTP.request(.GET, dataPlane.url("/orchestrator/svc/a")).status == 200)

            let returned = try await DataPlaneControlServer.start(path: dataPlane.controlSocket)
            defer { Task { await returned.stop() } }
            let again = try await returned.accept()
            guard case .hello(let hello) = try await again.receiveSkippingReports() else {
                Issue.record("expected hello on reconnect")
                return
            }
            #expect(hello.version == 1)
            try await again.send(.snapshot(Self.snapshot(2, upstream.baseURL, names: ["svc", "added"])))
            #expect(try await again.receiveSkippingReports() == .ack(version: 2))
            #expect(try await TestHTTP.request(.GET, dataPlane.url("/orchestrator/added/a")).status == 200)
            await returned.stop()
        }
    }

    @Test func replicaStartedWhileTheControlPlaneIsDownServesFromItsCache() async throws {
        try await Self.with(cachedSnapshot: { Self.snapshot(7, $0) }, startControl: false) { dataPlane, upstream, _ in
            #expect(try await TestHTTP.request(.GET, dataPlane.url("/orchestrator/svc/a")).status == 200)
            let health = try await TestHTTP.request(.GET, dataPlane.url("/health"))
            #expect(health.json["snapshot_version"] as? Int == 7)

            let control = try await DataPlaneControlServer.start(path: dataPlane.controlSocket)
            defer { Task { await control.stop() } }
            let replica = try await control.accept()
            guard case .hello(let hello) = try await replica.receiveSkippingReports() else {
                Issue.record("expected hello")
                return
            }
            #expect(hello.version == 7)
            try await replica.send(.snapshot(Self.snapshot(8, upstream.baseURL, names: ["svc", "new"])))
            #expect(try await replica.receiveSkippingReports() == .ack(version: 8))
            #expect(try await TestHTTP.request(.GET, dataPlane.url("/orchestrator/new/a")).status == 200)
            await control.stop()
        }
    }
}
