import DataPlane
import Testing

/// The drain request shared by SIGTERM, the control plane's message, the server and the reports.
@Suite struct DrainStateTests {
    @Test func firstRequestWinsAndIsReportedOnce() async {
        let drain = DrainState()
        #expect(!drain.isDraining)
        #expect(!drain.takeReportDue())
        let clock = ContinuousClock()
        let before = clock.now
        #expect(drain.begin(within: .seconds(5)))
        #expect(!drain.begin(within: .seconds(60)))
        #expect(drain.isDraining)
        #expect(drain.takeReportDue())
        #expect(!drain.takeReportDue())
        guard let deadline = await drain.started() else {
            Issue.record("no deadline")
            return
        }
        // The first request's 5 s hold, not the second's 60 s.
        let limit = before.duration(to: deadline)
        #expect(limit >= .seconds(5) && limit < .seconds(30))
    }

    @Test func drainMessageDeadlinesAreBounded() {
        #expect(SnapshotClient.drainLimit(1.5) == .milliseconds(1500))
        #expect(SnapshotClient.drainLimit(0) == .zero)
        #expect(SnapshotClient.drainLimit(-3) == .zero)
        #expect(SnapshotClient.drainLimit(.nan) == .zero)
        #expect(SnapshotClient.drainLimit(.infinity) == .seconds(86_400))
    }
}
