import Shared
import Testing

@testable import ControlPlane

/// One replica's snapshot frames: at most one in flight, later versions coalesced, deltas when
/// the replica serves a version the change log covers, whole snapshots otherwise.
@Suite struct SnapshotSenderTests {
    static func version(_ number: Int) -> SnapshotSender.Served { .init(version: number, checksum: "c\(number)") }
    static let always: @Sendable (Int) -> Bool = { _ in true }

    @Test func theFirstFrameIsWholeThenDeltasFollowWhatWasAcknowledged() {
        var sender = SnapshotSender(takesDeltas: true)
        #expect(sender.next(current: Self.version(3), canDelta: Self.always) == .whole(version: 3))
        sender.acknowledged(3)
        #expect(sender.next(current: Self.version(4), canDelta: Self.always) == .delta(from: 3, version: 4))
        sender.acknowledged(4)
        #expect(sender.served == .init(version: 4, checksum: "c4"))
        #expect(sender.next(current: Self.version(4), canDelta: Self.always) == nil)
    }

    @Test func versionsPublishedWhileOneIsInFlightCoalesceIntoOneFrame() {
        var sender = SnapshotSender(takesDeltas: true)
        _ = sender.next(current: Self.version(1), canDelta: Self.always)
        sender.acknowledged(1)
        #expect(sender.next(current: Self.version(2), canDelta: Self.always) == .delta(from: 1, version: 2))
        for newer in 3...9 { #expect(sender.next(current: Self.version(newer), canDelta: Self.always) == nil) }
        sender.acknowledged(2)
        #expect(sender.next(current: Self.version(9), canDelta: Self.always) == .delta(from: 2, version: 9))
    }

    @Test func aRefusedDeltaIsFollowedByTheWholeSnapshotAndARefusedWholeOneIsNotResent() {
        var sender = SnapshotSender(takesDeltas: true)
        _ = sender.next(current: Self.version(1), canDelta: Self.always)
        sender.acknowledged(1)
        #expect(sender.next(current: Self.version(2), canDelta: Self.always) == .delta(from: 1, version: 2))
        sender.refused(2)
        #expect(sender.next(current: Self.version(2), canDelta: Self.always) == .whole(version: 2))
        sender.refused(2)
        #expect(sender.next(current: Self.version(2), canDelta: Self.always) == nil)
        // A newer version is tried again, whole: nothing is known to build on.
        #expect(sender.next(current: Self.version(3), canDelta: Self.always) == .whole(version: 3))
    }

    @Test func aReplicaTheChangeLogNoLongerCoversGetsTheWholeSnapshot() {
        var sender = SnapshotSender(takesDeltas: true)
        _ = sender.next(current: Self.version(1), canDelta: Self.always)
        sender.acknowledged(1)
        #expect(sender.next(current: Self.version(500), canDelta: { _ in false }) == .whole(version: 500))
    }

    @Test func aReplicaWithoutDeltasGetsWholeSnapshotsOneAtATime() {
        var sender = SnapshotSender(takesDeltas: false)
        #expect(sender.next(current: Self.version(1), canDelta: Self.always) == .whole(version: 1))
        #expect(sender.next(current: Self.version(2), canDelta: Self.always) == nil)
        sender.acknowledged(1)
        #expect(sender.served == nil)
        #expect(sender.next(current: Self.version(2), canDelta: Self.always) == .whole(version: 2))
    }

    @Test func aRefreshResendsTheWholeSnapshotOfTheVersionTheReplicaHas() {
        var sender = SnapshotSender(takesDeltas: true)
        _ = sender.next(current: Self.version(5), canDelta: Self.always)
        sender.acknowledged(5)
        sender.resendWhole()
        #expect(sender.next(current: Self.version(5), canDelta: Self.always) == .whole(version: 5))
        sender.acknowledged(5)
        #expect(sender.next(current: Self.version(5), canDelta: Self.always) == nil)
    }

    @Test func anAnswerToNothingInFlightOnlyRecordsTheVersion() {
        var sender = SnapshotSender(takesDeltas: true)
        sender.acknowledged(7)
        #expect(sender.served == nil)
        #expect(sender.next(current: Self.version(7), canDelta: Self.always) == nil)
        sender.refused(8)
        #expect(sender.next(current: Self.version(8), canDelta: Self.always) == .whole(version: 8))
    }
}

/// The change log keeps the newest versions only and composes across what it keeps.
@Suite struct SnapshotChangeLogTests {
    @Test func itKeepsItsCapacityOfVersionsAndCoversOnlyThose() {
        var log = SnapshotChangeLog()
        let total = SnapshotChangeLog.capacity + 10
        for version in 1...total {
            log.record(version: version, checksum: "c\(version)", change: .init(remove: ["x\(version)"]))
        }
        #expect(log.checksum(of: total - SnapshotChangeLog.capacity) == nil)
        #expect(
            log.checksum(of: total - SnapshotChangeLog.capacity + 1) == "c\(total - SnapshotChangeLog.capacity + 1)")
        #expect(log.covers(from: total - 3, to: total))
        #expect(log.change(from: total - 3, to: total)?.remove == ["x\(total - 2)", "x\(total - 1)", "x\(total)"])
        #expect(!log.covers(from: total - SnapshotChangeLog.maximumSpan - 1, to: total))
        // A version without a change (a change to everything) breaks the chain through it.
        log.record(version: total + 1, checksum: "c", change: nil)
        log.record(version: total + 2, checksum: "d", change: .init())
        #expect(!log.covers(from: total, to: total + 2))
        #expect(log.covers(from: total + 1, to: total + 2))
    }
}
