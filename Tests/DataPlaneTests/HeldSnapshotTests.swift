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
}
