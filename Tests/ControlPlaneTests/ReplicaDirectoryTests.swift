import Foundation
import Logging
import Shared
import TestSupport
import Testing

@testable import ControlPlane

/// The replica directory and fan-out behind ``SnapshotPublisher``: readiness as a stream that a
/// rollout awaits, and what each connection is sent.
@Suite struct ReplicaDirectoryTests {
    static let hello = DataPlaneMessage.Hello(replicaId: "r1", pid: 4242, version: nil, supervised: true)

    @Test func readinessIsAnsweredAtOnceThenOnEveryChange() async {
        var directory = ReplicaDirectory()
        var readiness = directory.watchReadiness(pid: 4242, currentVersion: 3).makeAsyncIterator()
        #expect(await readiness.next() == ReplicaReadiness(ready: false, version: 3))

        directory.connected(Self.hello, currentVersion: 3, now: "t")
        // Connected but not holding version 3 is still not ready: nothing new for the watcher.
        directory.received(.ack(version: 3), from: "r1", currentVersion: 3, now: "t")
        #expect(await readiness.next() == ReplicaReadiness(ready: true, version: 3))

        directory.published(version: 4)
        #expect(await readiness.next() == ReplicaReadiness(ready: false, version: 4))
        directory.received(.ack(version: 4), from: "r1", currentVersion: 4, now: "t")
        #expect(await readiness.next() == ReplicaReadiness(ready: true, version: 4))
        directory.disconnected("r1", at: Date(), currentVersion: 4)
        #expect(await readiness.next() == ReplicaReadiness(ready: false, version: 4))
    }

    @Test func aSlowReaderGetsTheLatestReadinessOnly() async {
        var directory = ReplicaDirectory()
        var readiness = directory.watchReadiness(pid: 4242, currentVersion: 1).makeAsyncIterator()
        directory.connected(Self.hello, currentVersion: 1, now: "t")
        directory.received(.ack(version: 1), from: "r1", currentVersion: 1, now: "t")
        directory.published(version: 2)
        directory.received(.ack(version: 2), from: "r1", currentVersion: 2, now: "t")
        #expect(await readiness.next() == ReplicaReadiness(ready: true, version: 2))
    }

    @Test func thePublisherTellsARolloutWhenItsReplicaIsReady() async throws {
        let publisher = SnapshotPublisher(logger: Logger(label: "directory-test"))
        await publisher.publish(.testing(version: 5, []))
        let readiness = await publisher.readiness(pid: 4242)
        let waiter = Task { () -> ReplicaReadiness? in
            for await answer in readiness where answer.ready { return answer }
            return nil
        }
        let outbox = ReplicaOutbox()
        await publisher.connected(1, hello: Self.hello, outbox: outbox)
        #expect(await publisher.isReady(pid: 4242) == false)
        await publisher.received(1, .ack(version: 5))
        #expect(await waiter.value == ReplicaReadiness(ready: true, version: 5))
        #expect(await publisher.replicaId(pid: 4242) == "r1")
        // Connecting queued the current snapshot; a drain goes to that replica's connection.
        #expect(await publisher.drain(replicaId: "r1", deadlineSeconds: 2) == 1)
        #expect(await publisher.drain(replicaId: "other", deadlineSeconds: 2) == 0)
        await publisher.disconnected(1)
        var snapshots: [Int] = []
        for await message in outbox.snapshots {
            if case .snapshot(let snapshot) = message { snapshots.append(snapshot.version) }
        }
        #expect(snapshots == [5])
        #expect(await publisher.statuses().map(\.connected) == [false])
    }

    @Test func theListenerRecoveryHearsWhenAReplicaThatCanHandOverConnects() async {
        let publisher = SnapshotPublisher(logger: Logger(label: "directory-test"))
        var holders = await publisher.listenerHolders().makeAsyncIterator()
        #expect(await holders.next() == 0)
        let plain = DataPlaneMessage.Hello(replicaId: "plain", pid: 1, version: nil)
        await publisher.connected(1, hello: plain, outbox: ReplicaOutbox())
        let holding = DataPlaneMessage.Hello(replicaId: "adopted", pid: 2, version: nil, inheritedListener: true)
        await publisher.connected(2, hello: holding, outbox: ReplicaOutbox())
        #expect(await holders.next() == 1)
        await publisher.disconnected(1)
        await publisher.disconnected(2)
        #expect(await holders.next() == 0)
    }
}
