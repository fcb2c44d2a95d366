import Foundation
import Testing

@testable import Shared

/// Changes between snapshots: applied, composed, and carried in `delta` frames.
@Suite struct SnapshotDeltaTests {
    static func endpoint(_ name: String, timeout: Int = 30) -> SnapshotEndpoint {
        var config = EndpointConfig(name: name, url: "http://127.0.0.1:9/\(name)")
        config.timeout = timeout
        return SnapshotEndpoint(
            config: config, owner: .api, circuitBreaker: .defaults, healthCheck: .defaults, health: .unknown,
            status: .active)
    }

    static func upsert(_ name: String, seq: Int, timeout: Int = 30) -> SnapshotDelta.Upsert {
        .init(seq: seq, endpoint: endpoint(name, timeout: timeout))
    }

    static let start = SnapshotContent(
        [("a", 1), ("b", 2), ("c", 3)].map { (endpoint($0.0), $0.1) }, proxy: nil, tls: nil)

    /// A made-up sequence of changes: updates in place, re-registrations (a new seq), removals,
    /// an endpoint removed and added back, new endpoints, limits changing.
    static func changes() -> [SnapshotDelta] {
        var limits = ProxyLimits.defaults
        limits.maxHeaders = 40
        return [
            SnapshotDelta(upsert: [upsert("a", seq: 1, timeout: 5)]),
            SnapshotDelta(upsert: [upsert("d", seq: 4)], remove: ["b"]),
            SnapshotDelta(upsert: [upsert("b", seq: 5)], proxy: limits),
            SnapshotDelta(upsert: [upsert("a", seq: 6, timeout: 7)], remove: ["c"], proxy: limits),
            SnapshotDelta(remove: ["d"], proxy: limits),
            SnapshotDelta(upsert: [upsert("d", seq: 7), upsert("c", seq: 8, timeout: 9)], proxy: limits),
            SnapshotDelta(upsert: [upsert("b", seq: 5, timeout: 11)]),
        ]
    }

    @Test func aComposedChangeIsTheChangesOneAfterTheOther() {
        let changes = Self.changes()
        for first in changes.indices {
            for last in first..<changes.count {
                var stepwise = Self.start
                for change in changes[first...last] { stepwise = change.applied(to: stepwise) }
                let composed = changes[first...last].dropFirst().reduce(changes[first]) { $0.followed(by: $1) }
                let once = composed.applied(to: Self.start)
                #expect(once.endpoints == stepwise.endpoints, "\(first)...\(last)")
                #expect(once.checksum == stepwise.checksum, "\(first)...\(last)")
                #expect(once.proxy == stepwise.proxy)
            }
        }
    }

    @Test func anEndpointRemovedAndAddedBackByALaterChangeIsPresentOnce() {
        let composed = SnapshotDelta(remove: ["b"]).followed(by: SnapshotDelta(upsert: [Self.upsert("b", seq: 9)]))
        let content = composed.applied(to: Self.start)
        #expect(content.endpoints.map(\.name) == ["a", "c", "b"])
        let again = composed.followed(by: SnapshotDelta(remove: ["b"])).applied(to: Self.start)
        #expect(again.endpoints.map(\.name) == ["a", "c"])
    }

    @Test func aDeltaFrameAppliesOnlyWhereItsChecksumSaysAndSurvivesTheWire() throws {
        let change = Self.changes()[1]
        let next = change.applied(to: Self.start)
        let frame = SnapshotDeltaFrame(
            from: 4, fromChecksum: Self.start.checksum, version: 5, checksum: next.checksum,
            createdAt: "2026-12-02T00:00:00Z", cause: "api: register d", change: change)
        let decoded = try ControlPlaneMessage.decode(ControlPlaneMessage.delta(frame).encoded())
        guard case .message(.delta(let received)) = decoded else {
            Issue.record("not a delta: \(decoded)")
            return
        }
        #expect(received == frame)
        guard case .success(let (snapshot, content)) = received.applied(to: Self.start) else {
            Issue.record("did not apply")
            return
        }
        #expect(snapshot.version == 5 && snapshot.checksum == next.checksum)
        #expect(content.endpoints.map(\.name) == ["a", "c", "d"])
        // On other content, the checksum does not come out.
        let other = SnapshotContent([(Self.endpoint("a"), 1)], proxy: nil, tls: nil)
        guard case .failure(.checksumMismatch) = received.applied(to: other) else {
            Issue.record("applied to other content")
            return
        }
    }

    @Test func aBaseFrameCarriesSeqsAndBadOnesAreRefused() throws {
        let snapshot = Self.start.snapshot(version: 3, createdAt: "t", cause: "c")
        let decoded = try ControlPlaneMessage.decode(ControlPlaneMessage.base(snapshot, seqs: [1, 2, 3]).encoded())
        guard case .message(.base(let received, let seqs)) = decoded else {
            Issue.record("not a base: \(decoded)")
            return
        }
        #expect(received == snapshot && seqs == [1, 2, 3])
        for bad in [[1, 2], [1, 3, 2], [1, 2, -3]] {
            let frame = ControlPlaneMessage.base(snapshot, seqs: bad).encoded()
            guard case .invalidSnapshot(let version, _) = try ControlPlaneMessage.decode(frame) else {
                Issue.record("seqs \(bad) accepted")
                continue
            }
            #expect(version == 3)
        }
    }

    @Test func aDeltaWithABadEndpointIsAnInvalidSnapshotNamingItsVersion() throws {
        let frame =
            #"{"type": "delta", "delta": {"from": 1, "from_checksum": "x", "version": 2, "checksum": "y", "change": {"upsert": [{"seq": 1, "endpoint": {"config": {"name": "a", "url": "ftp://x"}}}]}}}"#
        guard case .invalidSnapshot(let version, let error) = try ControlPlaneMessage.decode(Data(frame.utf8)) else {
            Issue.record("accepted")
            return
        }
        #expect(version == 2)
        #expect(error.issues.contains { $0.field?.contains("upsert[0]") == true }, "\(error)")
    }
}
