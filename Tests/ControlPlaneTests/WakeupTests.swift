import Logging
import TestSupport
import Testing

@testable import ControlPlane

/// The health checker's sleep: until the next probe is due or until something changes.
@Suite struct WakeupTests {
    @Test func aWakeBeforeTheWaitIsKeptForIt() async {
        let wakeup = Wakeup()
        wakeup.wake()
        // No deadline: only the kept wake can end this wait.
        await wakeup.wait(until: nil)
    }

    @Test func aWakeEndsAWaitInProgress() async {
        let wakeup = Wakeup()
        let waiter = Task { await wakeup.wait(until: nil) }
        wakeup.wake()
        // Either the wait took this wake, or it was kept for it: both end the wait.
        await waiter.value
    }

    @Test func aWaitEndsAtItsDeadline() async {
        let wakeup = Wakeup()
        let started = ContinuousClock.now
        await wakeup.wait(until: started.advanced(by: .milliseconds(20)))
        #expect(ContinuousClock.now - started >= .milliseconds(20))
    }

    @Test func cancellationEndsAWait() async {
        let wakeup = Wakeup()
        let waiter = Task { await wakeup.wait(until: nil) }
        waiter.cancel()
        await waiter.value
    }

    @Test func thePublisherStreamsEachNewSnapshotVersion() async {
        let publisher = SnapshotPublisher(logger: Logger(label: "wakeup-test"))
        var versions = await publisher.snapshotVersions().makeAsyncIterator()
        #expect(await versions.next() == 0)
        await publisher.publish(.testing(version: 3, []))
        #expect(await versions.next() == 3)
        await publisher.publish(.testing(version: 2, []))  // older: not published
        await publisher.publish(.testing(version: 4, []))
        #expect(await versions.next() == 4)
    }
}
