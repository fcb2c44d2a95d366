import DataPlane
import Shared
import Testing

/// The reload decisions with made-up file stamps: no files, no clock.
@Suite struct TLSReloadStateMachineTests {
    static let settings = TLSSettings(certFile: "/c.pem", keyFile: "/c.key")

    static func stamp(_ inode: UInt64, size: Int64 = 100, modified: Int64 = 1) -> TLSFileStamp {
        TLSFileStamp(device: 1, inode: inode, size: size, modifiedSeconds: modified, modifiedNanoseconds: 0)
    }

    let original: [TLSFileStamp?] = [stamp(1), stamp(2)]

    @Test func aSnapshotWithTLSLoadsAtOnceAndTheSameSnapshotAgainDoesNot() {
        var machine = TLSReloadStateMachine()
        #expect(machine.snapshotInstalled(Self.settings, stamps: original) == .load(Self.settings))
        #expect(machine.snapshotInstalled(Self.settings, stamps: original) == .none)
        #expect(machine.polled(stamps: original) == .none)
    }

    @Test func aSnapshotWithoutTLSUnloadsOnlyWhatWasLoaded() {
        var machine = TLSReloadStateMachine()
        #expect(machine.snapshotInstalled(nil, stamps: []) == .none)
        _ = machine.snapshotInstalled(Self.settings, stamps: original)
        #expect(machine.snapshotInstalled(nil, stamps: []) == .unload)
        #expect(machine.polled(stamps: original) == .none)
        #expect(machine.snapshotInstalled(nil, stamps: []) == .none)
    }

    @Test func changedSettingsOrChangedFilesLoadWithTheNextSnapshot() {
        var machine = TLSReloadStateMachine()
        _ = machine.snapshotInstalled(Self.settings, stamps: original)
        var stricter = Self.settings
        stricter.minVersion = .tls13
        #expect(machine.snapshotInstalled(stricter, stamps: original) == .load(stricter))
        let rewritten: [TLSFileStamp?] = [Self.stamp(1, size: 120, modified: 2), Self.stamp(2)]
        #expect(machine.snapshotInstalled(stricter, stamps: rewritten) == .load(stricter))
    }

    @Test func aFileChangeLoadsOnceTwoPollsAgree() {
        var machine = TLSReloadStateMachine()
        _ = machine.snapshotInstalled(Self.settings, stamps: original)
        // The certificate is renamed over (new inode), then the key rewritten in place.
        let certificateOnly: [TLSFileStamp?] = [Self.stamp(3), Self.stamp(2)]
        let both: [TLSFileStamp?] = [Self.stamp(3), Self.stamp(2, size: 90, modified: 5)]
        #expect(machine.polled(stamps: certificateOnly) == .none)
        #expect(machine.polled(stamps: both) == .none)
        #expect(machine.polled(stamps: both) == .load(Self.settings))
        #expect(machine.polled(stamps: both) == .none)
    }

    @Test func aFailedLoadIsNotRetriedUntilTheFilesChangeAgain() {
        var machine = TLSReloadStateMachine()
        _ = machine.snapshotInstalled(Self.settings, stamps: original)
        let missing: [TLSFileStamp?] = [nil, Self.stamp(2)]
        _ = machine.polled(stamps: missing)
        #expect(machine.polled(stamps: missing) == .load(Self.settings))  // fails: the file is gone
        #expect(machine.polled(stamps: missing) == .none)
        let back: [TLSFileStamp?] = [Self.stamp(4), Self.stamp(2)]
        _ = machine.polled(stamps: back)
        #expect(machine.polled(stamps: back) == .load(Self.settings))
    }

    @Test func aChangeThatIsUndoneBeforeTheSecondPollLoadsNothing() {
        var machine = TLSReloadStateMachine()
        _ = machine.snapshotInstalled(Self.settings, stamps: original)
        #expect(machine.polled(stamps: [Self.stamp(9), Self.stamp(2)]) == .none)
        #expect(machine.polled(stamps: original) == .none)
        #expect(machine.polled(stamps: original) == .none)
    }
}
