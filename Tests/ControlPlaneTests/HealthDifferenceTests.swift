import Shared
import TestSupport
import Testing

@testable import ControlPlane

@Suite struct HealthDifferenceTests {
    private static let healths: [EndpointHealth] = [.unknown, .healthy, .unhealthy]

    /// Random changes (upserts carrying the probes' health of their time, removals that forget the
    /// probe result, re-adds) and probe flips: the kept difference is always the one computed over every endpoint.
    @Test func keptUpToDateByChangesAndFlipsItEqualsTheDifferenceComputedWhole() {
        var generator = SystemRandomNumberGenerator()
        var content = SnapshotContent()
        var probes: [String: EndpointHealth] = [:]
        var difference = HealthDifference()
        var seq = 0
        for version in 1...400 {
            if Bool.random(using: &generator) {
                // A flip.
                let name = "e\(Int.random(in: 0..<30, using: &generator))"
                let health = Self.healths.randomElement(using: &generator)!
                probes[name] = health
                difference.probed(name, health)
            } else {
                var change = SnapshotDelta()
                for _ in 0..<Int.random(in: 1...3, using: &generator) {
                    let name = "e\(Int.random(in: 0..<30, using: &generator))"
                    guard !change.remove.contains(name), !change.upsert.contains(where: { $0.endpoint.name == name })
                    else { continue }
                    if content[name] != nil, Int.random(in: 0..<4, using: &generator) == 0 {
                        change.remove.append(name)
                    } else {
                        seq += 1
                        // A built endpoint carries the probes' health, or unknown when not probed.
                        let health = Bool.random(using: &generator) ? probes[name] ?? .unknown : .unknown
                        change.upsert.append(
                            .init(seq: seq, endpoint: .testing(name, url: "http://\(name).internal/", health: health)))
                    }
                }
                change.apply(to: &content)
                difference.apply(change) { probes[$0] }
                // The registry forgets a removed endpoint's probe result.
                for name in change.remove { probes[name] = nil }
            }
            let snapshot = content.snapshot(version: version, createdAt: "now", cause: "test")
            #expect(
                difference.update(version: version, seq: version)
                    == HealthUpdate.between(snapshot, and: probes, seq: version))
            #expect(HealthDifference(snapshot: snapshot, health: probes) == difference)
        }
    }
}
