import Foundation
import Logging
import Shared
import TestSupport
import Testing

@testable import ControlPlane

/// A replica from before per-endpoint digest checksums (its `hello` has no `checksums`) checks
/// the legacy checksum: it gets every version whole with that checksum, never a delta; a current
/// replica gets a base, then deltas.
@Suite struct LegacyChecksumReplicaTests {
    static func endpoint(_ name: String) -> SnapshotEndpoint { .testing(name, url: "http://127.0.0.1:9/\(name)") }

    /// The first snapshot frame `outbox` holds.
    static func next(_ outbox: ReplicaOutbox) async -> ControlPlaneMessage? {
        var iterator = outbox.snapshots.makeAsyncIterator()
        return await iterator.next()
    }

    @Test func aReplicaWithoutDigestChecksumsGetsWholeSnapshotsWithTheLegacyChecksum() async throws {
        let publisher = SnapshotPublisher(logger: Logger(label: "legacy-checksum-test"))
        var content = SnapshotContent([(Self.endpoint("a"), 1)], proxy: nil, tls: nil)
        let first = content.snapshot(version: 1, createdAt: "t", cause: "test")
        await publisher.publish(first, seqs: content.seqs)

        let legacy = try JSONDecoder().decode(
            DataPlaneMessage.Hello.self, from: Data(#"{"replica_id": "old", "pid": 11, "deltas": true}"#.utf8))
        #expect(!legacy.checksDigests)
        let old = ReplicaOutbox()
        let current = ReplicaOutbox()
        await publisher.connected(1, hello: legacy, outbox: old)
        await publisher.connected(
            2, hello: .init(replicaId: "new", pid: 12, version: nil, deltas: true), outbox: current)
        guard case .snapshot(let whole) = await Self.next(old) else {
            Issue.record("the old replica did not get a whole snapshot")
            return
        }
        #expect(whole.checksum == first.withLegacyChecksum.checksum)
        #expect(whole.endpoints == first.endpoints)
        guard case .base(let base, _) = await Self.next(current) else {
            Issue.record("the current replica did not get a base")
            return
        }
        #expect(base.checksum == first.checksum)

        await publisher.received(1, .ack(version: 1))
        await publisher.received(2, .ack(version: 1))
        let change = SnapshotDelta(upsert: [.init(seq: 2, endpoint: Self.endpoint("b"))])
        change.apply(to: &content)
        let second = content.snapshot(version: 2, createdAt: "t", cause: "test")
        await publisher.publish(second, seqs: content.seqs, change: change)
        guard case .snapshot(let wholeAgain) = await Self.next(old) else {
            Issue.record("the old replica got a delta")
            return
        }
        #expect(wholeAgain.version == 2 && wholeAgain.checksum == second.withLegacyChecksum.checksum)
        guard case .delta(let frame) = await Self.next(current) else {
            Issue.record("the current replica got no delta")
            return
        }
        #expect(frame.checksum == second.checksum && frame.fromChecksum == first.checksum)
    }
}
