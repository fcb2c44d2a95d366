import DataPlane
import Testing

/// A replica reports its traffic counters and breakers every second up to 1,000 endpoints with
/// traffic, then one second more per 1,000, at most 30: the cost of reporting per second stays
/// about that of 1,000 endpoints.
@Suite struct ReportCadenceTests {
    @Test(arguments: [
        (0, 1), (1, 1), (1_000, 1), (1_001, 2), (2_000, 2), (10_000, 10), (29_999, 30), (200_000, 30),
    ])
    func theTrafficIntervalGrowsWithTheEndpointsReported(endpoints: Int, seconds: Int) {
        #expect(SnapshotClient.trafficInterval(.seconds(1), endpoints: endpoints) == .seconds(seconds))
    }

    @Test func itScalesTheConfiguredInterval() {
        #expect(SnapshotClient.trafficInterval(.milliseconds(200), endpoints: 5_000) == .seconds(1))
    }
}
