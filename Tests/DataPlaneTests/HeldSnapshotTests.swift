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
    }
}
