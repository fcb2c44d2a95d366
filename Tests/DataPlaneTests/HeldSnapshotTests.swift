import Shared
import TestSupport
import Testing

@testable import DataPlane

@Suite struct HeldSnapshotTests {
    static let a = Snapshot.testing(version: 5, [.testing("a", url: "http://a.internal/")])
    static let b = Snapshot.testing(version: 5, [.testing("b", url: "http://b.internal/")])
    static let older = Snapshot.testing(version: 3, [.testing("a", url: "http://a.internal/")])

    @Test func exactlyWhatIsServedIsNotInstalledAgainAnythingElseIs() {
        var held = HeldSnapshot(version: nil)
        #expect(held.decide(Self.a) == .install(older: false))
        held.installed(Self.a)
        #expect(held.decide(Self.a) == .alreadyServing)
        #expect(held.decide(Self.b) == .install(older: false), "same version, other content")
        #expect(held.decide(Self.older) == .install(older: true))
    }

    @Test func aVersionFromTheCacheAloneIsInstalledAgainFromTheControlPlane() {
        let held = HeldSnapshot(version: 5)
        #expect(held.decide(Self.a) == .install(older: false))
    }

    @Test func aHealthUpdateAppliesToItsVersionOnlyAndTheNewestWins() {
        var held = HeldSnapshot(version: nil)
        let down = HealthUpdate(version: 5, seq: 1, endpoints: ["a": .unhealthy])
        // Before its snapshot: kept, then served with it.
        #expect(held.received(down) == .ignore)
        #expect(held.serving(Self.a).endpoints[0].health == .unhealthy)
        held.installed(Self.a)
        #expect(held.health == down)
        #expect(held.pending == nil)
        // The same health again installs nothing; other health installs the base with it.
        #expect(held.received(HealthUpdate(version: 5, seq: 2, endpoints: ["a": .unhealthy])) == .ignore)
        guard case .install(let up) = held.received(HealthUpdate(version: 5, seq: 3, endpoints: [:])) else {
            Issue.record("expected an install")
            return
        }
        #expect(up.endpoints[0].health == Self.a.endpoints[0].health)
        #expect(up.version == 5 && up.checksum == Self.a.checksum)
        // An older version's update is dropped; a newer one waits.
        #expect(held.received(HealthUpdate(version: 3, seq: 4, endpoints: ["a": .unhealthy])) == .ignore)
        #expect(held.received(HealthUpdate(version: 6, seq: 5, endpoints: ["a": .unhealthy])) == .ignore)
        #expect(held.pending?.version == 6)
        // A snapshot past the pending one's version drops it.
        held.installed(Snapshot.testing(version: 7, [.testing("a", url: "http://a.internal/")]))
        #expect(held.pending == nil)
        #expect(held.health == nil)
    }

    @Test func anUpdateCarriesEveryEndpointWhoseHealthDiffersFromTheSnapshot() {
        let update = HealthUpdate.between(Self.a, and: ["a": .unhealthy, "gone": .unhealthy], seq: 9)
        #expect(update == HealthUpdate(version: 5, seq: 9, endpoints: ["a": .unhealthy]))
        #expect(HealthUpdate.between(Self.a, and: [:], seq: 10).endpoints.isEmpty)
        // With no probe results at all, an endpoint the snapshot says is healthy is unknown now.
        var probed = Self.a
        probed.endpoints[0].health = .healthy
        #expect(HealthUpdate.between(probed, and: [:], seq: 11).endpoints == ["a": .unknown])
        #expect(HealthUpdate.between(probed, and: ["a": .healthy], seq: 12).endpoints.isEmpty)
    }

    @Test func aDeltaAppliesOnlyOnTheVersionAndContentItStartsFrom() {
        var held = HeldSnapshot(version: nil)
        let content = SnapshotContent(Self.a, seqs: [1])
        let change = SnapshotDelta(
            upsert: [.init(seq: 2, endpoint: .testing("b", url: "http://b.internal/"))], remove: [])
        let next = change.applied(to: content)
        let frame = SnapshotDeltaFrame(
            from: 5, fromChecksum: Self.a.checksum, version: 6, checksum: next.checksum, createdAt: "t", cause: "c",
            change: change)
        // Nothing served, or served without seqs (a plain snapshot): no base to apply it to.
        #expect(held.apply(frame).isNotOnBase)
        held.installed(Self.a)
        #expect(held.apply(frame).isNotOnBase)
        // Served as a base: applies, and what it makes is the next base.
        held.installed(Self.a, content: content)
        guard case .success(let (snapshot, made)) = held.apply(frame) else {
            Issue.record("did not apply")
            return
        }
        #expect(snapshot.version == 6 && snapshot.endpoints.map(\.name) == ["a", "b"])
        held.installed(snapshot, content: made)
        #expect(held.apply(frame).isNotOnBase, "from 5 no longer served")
        // The same version with other content (a reset store) is not a base either.
        held.installed(Self.b, content: SnapshotContent(Self.b, seqs: [1]))
        #expect(held.apply(frame).isNotOnBase)
    }

    @Test func aDeltaWhoseResultFailsItsChecksumLeavesNoBaseUntilAWholeSnapshot() {
        var held = HeldSnapshot(version: nil)
        let content = SnapshotContent(Self.a, seqs: [1])
        held.installed(Self.a, content: content)
        let change = SnapshotDelta(upsert: [.init(seq: 2, endpoint: .testing("b", url: "http://b.internal/"))])
        let lying = SnapshotDeltaFrame(
            from: 5, fromChecksum: Self.a.checksum, version: 6, checksum: "0000000000000000", createdAt: "t",
            cause: "c", change: change)
        guard case .failure(.checksumMismatch) = held.apply(lying) else {
            Issue.record("a wrong checksum was accepted")
            return
        }
        let honest = SnapshotDeltaFrame(
            from: 5, fromChecksum: Self.a.checksum, version: 6, checksum: change.applied(to: content).checksum,
            createdAt: "t", cause: "c", change: change)
        #expect(held.apply(honest).isNotOnBase, "the content it applied to is gone")
        held.installed(Self.a, content: content)
        guard case .success = held.apply(honest) else {
            Issue.record("did not apply on a base again")
            return
        }
    }
}

extension Result where Success == (Snapshot, SnapshotContent), Failure == DeltaRefusal {
    var isNotOnBase: Bool {
        if case .failure(.notOnBase) = self { return true }
        return false
    }
}
