import DataPlane
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import Testing

/// The replica-wide connection count behind `max_connections`.
@Suite struct ConnectionLimitTests {
    @Test func theTrackerIsFullAtTheLimitAndSaysSoOnEachCrossing() throws {
        let tracker = ConnectionTracker()
        let changes = NIOLockedValueBox(0)
        tracker.onCapacityChange { changes.withLockedValue { $0 += 1 } }
        let loop = EmbeddedEventLoop()
        let channels = (0..<3).map { _ in EmbeddedChannel(loop: loop) }
        tracker.add(channels[0], limit: 2)
        #expect(!tracker.isFull)
        tracker.add(channels[1], limit: 2)
        #expect(tracker.isFull)
        #expect(changes.withLockedValue { $0 } == 1)
        try channels[0].close().wait()
        loop.run()
        #expect(!tracker.isFull)
        #expect(changes.withLockedValue { $0 } == 2)
        tracker.add(channels[2], limit: 2)
        #expect(tracker.isFull)
        #expect(changes.withLockedValue { $0 } == 3)
        for channel in channels.dropFirst() { try channel.close().wait() }
        loop.run()
        #expect(tracker.count == 0)
    }

    @Test func aLoweredLimitTakesEffectWithTheNextConnection() throws {
        let tracker = ConnectionTracker()
        let channels = (0..<2).map { _ in EmbeddedChannel() }
        tracker.add(channels[0], limit: 10)
        tracker.add(channels[1], limit: 1)
        #expect(tracker.isFull)
        for channel in channels { try channel.close().wait() }
    }
}
