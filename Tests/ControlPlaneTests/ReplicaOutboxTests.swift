import Shared
import TestSupport
import Testing

@testable import ControlPlane

@Suite struct ReplicaOutboxTests {
    static func snapshot(_ version: Int) -> ControlPlaneMessage {
        .snapshot(.testing(version: version, []))
    }

    @Test func onlyTheNewestSnapshotWaitsForAReplicaThatDoesNotRead() async {
        let outbox = ReplicaOutbox()
        for version in 1...500 { outbox.send(Self.snapshot(version)) }
        outbox.finish()
        var waiting: [ControlPlaneMessage] = []
        for await message in outbox.snapshots { waiting.append(message) }
        #expect(waiting == [Self.snapshot(500)])
    }

    @Test func otherMessagesKeepTheirOrderUpToTheirBound() async {
        let outbox = ReplicaOutbox()
        outbox.send(.drain(deadlineSeconds: 5))
        outbox.send(Self.snapshot(1))
        for _ in 0..<(ReplicaOutbox.maximumControlMessages + 10) { outbox.send(.resetBreaker(endpoint: "svc")) }
        outbox.finish()
        var control: [ControlPlaneMessage] = []
        for await message in outbox.control { control.append(message) }
        #expect(control.count == ReplicaOutbox.maximumControlMessages)
        #expect(control.first == .drain(deadlineSeconds: 5))
        var snapshots: [ControlPlaneMessage] = []
        for await message in outbox.snapshots { snapshots.append(message) }
        #expect(snapshots == [Self.snapshot(1)])
    }
}
