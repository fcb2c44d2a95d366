import Foundation
import Shared
import TestSupport
import Testing

/// `delta` frames against a real replica on a real Unix socket: applied on the base they start
/// from, refused (NACK) on any other, and what they make is served.
@Suite(.endToEnd) struct SnapshotDeltaClientTests {
    static func endpoint(_ name: String, _ base: String) -> SnapshotEndpoint { .testing(name, url: base + "/\(name)") }

    @Test func aReplicaSaysItTakesDeltasAppliesOneOnItsBaseAndRefusesOneOnAnother() async throws {
        try await SnapshotClientTests.with { dataPlane, upstream, control in
            let control = try #require(control)
            let replica = try await control.accept()
            guard case .hello(let hello) = try await replica.receiveSkippingReports() else {
                Issue.record("expected hello first")
                return
            }
            #expect(hello.deltas == true)

            let content = SnapshotContent([(Self.endpoint("svc", upstream.baseURL), 1)], proxy: nil, tls: nil)
            let base = content.snapshot(version: 1, createdAt: "t", cause: "test")
            try await replica.send(.base(base, seqs: [1]))
            #expect(try await replica.receiveSkippingReports() == .ack(version: 1))

            // A delta that claims another starting content is refused, and nothing changes.
            let change = SnapshotDelta(upsert: [.init(seq: 2, endpoint: Self.endpoint("new", upstream.baseURL))])
            let next = change.applied(to: content)
            let wrongBase = SnapshotDeltaFrame(
                from: 1, fromChecksum: "0000000000000000", version: 2, checksum: next.checksum, createdAt: "t",
                cause: "test", change: change)
            try await replica.send(.delta(wrongBase))
            guard case .nack(let version, _) = try await replica.receiveSkippingReports() else {
                Issue.record("expected a NACK")
                return
            }
            #expect(version == 2)
            #expect(try await TestHTTP.request(.GET, dataPlane.url("/orchestrator/new/a")).status == 404)

            // A delta whose result does not have its checksum is refused too.
            var lying = wrongBase
            lying.fromChecksum = base.checksum
            lying.checksum = "0000000000000000"
            try await replica.send(.delta(lying))
            guard case .nack = try await replica.receiveSkippingReports() else {
                Issue.record("expected a NACK")
                return
            }

            // The content it was applied to is gone with it: deltas wait for a whole snapshot,
            // as the control plane sends after a NACK. On that base, the right one is applied.
            var right = lying
            right.checksum = next.checksum
            try await replica.send(.delta(right))
            guard case .nack = try await replica.receiveSkippingReports() else {
                Issue.record("expected a NACK without a base")
                return
            }
            try await replica.send(.base(base, seqs: [1]))
            #expect(try await replica.receiveSkippingReports() == .ack(version: 1))
            try await replica.send(.delta(right))
            #expect(try await replica.receiveSkippingReports() == .ack(version: 2))
            #expect(try await TestHTTP.request(.GET, dataPlane.url("/orchestrator/new/a")).status == 200)
            #expect(try await TestHTTP.request(.GET, dataPlane.url("/orchestrator/svc/a")).status == 200)

            // A removal by delta is served too.
            let removal = SnapshotDelta(remove: ["svc"])
            let after = removal.applied(to: next)
            try await replica.send(
                .delta(
                    SnapshotDeltaFrame(
                        from: 2, fromChecksum: next.checksum, version: 3, checksum: after.checksum, createdAt: "t",
                        cause: "test", change: removal)))
            #expect(try await replica.receiveSkippingReports() == .ack(version: 3))
            #expect(try await TestHTTP.request(.GET, dataPlane.url("/orchestrator/svc/a")).status == 404)
        }
    }
}
