import DataPlane
import Testing

/// A replica reports its traffic counters and breakers every second up to 300 endpoints with
/// traffic, then one second more per 300, at most 30: the cost of reporting per second stays
/// about that of 300 endpoints.
@Suite struct ReportCadenceTests {
    @Test(arguments: [
        (0, 1), (1, 1), (300, 1), (301, 2), (1_000, 4), (3_000, 10), (8_700, 29), (8_701, 30), (10_000, 30),
        (200_000, 30),
    ])
    func theTrafficIntervalGrowsWithTheEndpointsReported(endpoints: Int, seconds: Int) {
        #expect(SnapshotClient.trafficInterval(.seconds(1), endpoints: endpoints) == .seconds(seconds))
    }

    @Test func itScalesTheConfiguredInterval() {
        #expect(SnapshotClient.trafficInterval(.milliseconds(200), endpoints: 1_500) == .seconds(1))
    }
}
