import Shared
import Testing

@testable import ControlPlane

/// The status page's last-minute figures, from constructed cumulative reports.
@Suite struct StatusPageSamplerTests {
    static func traffic(_ endpoint: String, ok: Int, errors: Int = 0, latency: Double = 0.004) -> EndpointTraffic {
        var histogram = LatencyHistogram()
        for _ in 0..<(ok + errors) { histogram.record(seconds: latency) }
        return EndpointTraffic(endpoint: endpoint, responses: ["2xx": ok, "5xx": errors], requestDuration: histogram)
    }

    static func sample(_ time: Double, _ reports: [String: [EndpointTraffic]]) -> TrafficSample {
        TrafficSample(time: time, reports: reports.mapValues { TrafficReport(endpoints: $0) })
    }

    @Test func ratesSumReplicasOverTheWindow() {
        let samples = [
            Self.sample(0, ["r1": [Self.traffic("orders", ok: 100)], "r2": [Self.traffic("orders", ok: 50)]]),
            Self.sample(
                10, ["r1": [Self.traffic("orders", ok: 150, errors: 10)], "r2": [Self.traffic("orders", ok: 80)]]),
            Self.sample(
                20, ["r1": [Self.traffic("orders", ok: 190, errors: 10)], "r2": [Self.traffic("orders", ok: 100)]]),
        ]
        let (seconds, rates) = TrafficWindow.rates(samples)
        #expect(seconds == 20)
        let orders = rates["orders"]
        #expect(orders?.requests == 150)
        #expect(orders?.requestsPerSecond == 7.5)
        #expect(orders?.errorRate == 10.0 / 150.0)
        // Every observation sits in the (2.5 ms, 5 ms] bucket.
        let p99 = try? #require(orders?.p99Seconds)
        #expect(p99.map { $0 > 0.0025 && $0 <= 0.005 } == true)
    }

    @Test func aRestartedReplicaCountsFromZeroAndANewOneCountsEverything() {
        let samples = [
            Self.sample(0, ["r1": [Self.traffic("a", ok: 500)]]),
            Self.sample(5, ["r1": [Self.traffic("a", ok: 20)], "r2": [Self.traffic("a", ok: 7)]]),
        ]
        let rates = TrafficWindow.rates(samples).endpoints
        #expect(rates["a"]?.requests == 27)
    }

    @Test func eachEndpointIsComparedWithItsOwnEarlierCountsWhateverTheOrderOfTheReports() {
        let names = (0..<2_000).map { "e\($0)" }
        let samples = [
            Self.sample(0, ["r1": names.map { Self.traffic($0, ok: 10) }]),
            // Reversed, and one endpoint more, which counts from zero.
            Self.sample(5, ["r1": (names + ["new"]).reversed().map { Self.traffic($0, ok: $0 == "e7" ? 13 : 12) }]),
        ]
        let rates = TrafficWindow.rates(samples).endpoints
        #expect(rates.count == 2_001)
        #expect(rates["e0"]?.requests == 2)
        #expect(rates["e7"]?.requests == 3)
        #expect(rates["new"]?.requests == 12)
    }

    @Test func noRatesWithoutTwoSamplesOrTraffic() {
        #expect(TrafficWindow.rates([]).endpoints.isEmpty)
        #expect(TrafficWindow.rates([Self.sample(0, ["r1": [Self.traffic("a", ok: 3)]])]).endpoints.isEmpty)
        let idle = TrafficWindow.rates([
            Self.sample(0, ["r1": [Self.traffic("a", ok: 3)]]), Self.sample(5, ["r1": [Self.traffic("a", ok: 3)]]),
        ])
        #expect(idle.endpoints["a"]?.requests == 0)
        #expect(idle.endpoints["a"]?.errorRate == nil)
        #expect(idle.endpoints["a"]?.p99Seconds == nil)
        let unmatched = TrafficWindow.rates([
            Self.sample(0, [:]), Self.sample(5, ["r1": [Self.traffic(TrafficReport.unmatchedEndpoint, ok: 3)]]),
        ])
        #expect(unmatched.endpoints.isEmpty)
    }

    @Test func quantileInterpolatesInsideItsBucket() {
        var buckets = Array(repeating: 0, count: LatencyHistogram.upperBounds.count + 1)
        buckets[0] = 99  // <= 0.5 ms
        buckets[3] = 1  // (2.5 ms, 5 ms]
        #expect(TrafficWindow.quantile(0.99, buckets: buckets) == 0.0005)
        #expect(TrafficWindow.quantile(0.5, buckets: buckets) == 0.0005 * 50 / 99)
        buckets[3] = 100
        let p99 = TrafficWindow.quantile(0.99, buckets: buckets) ?? 0
        #expect(p99 > 0.0025 && p99 < 0.005)
        var overflow = Array(repeating: 0, count: LatencyHistogram.upperBounds.count + 1)
        overflow[LatencyHistogram.upperBounds.count] = 4
        #expect(TrafficWindow.quantile(0.99, buckets: overflow) == 30)
        #expect(TrafficWindow.quantile(0.99, buckets: Array(repeating: 0, count: 16)) == nil)
    }

    @Test func samplerKeepsOneMinuteAndABase() async {
        let sampler = TrafficSampler(window: 60, capacity: 128)
        for second in stride(from: 0.0, through: 300, by: 5) {
            await sampler.record(Self.sample(second, ["r1": [Self.traffic("a", ok: Int(second))]]))
        }
        let samples = await sampler.samples
        #expect(samples.first?.time == 240)
        #expect(samples.last?.time == 300)
        let (seconds, rates) = await sampler.rates()
        #expect(seconds == 60)
        #expect(rates["a"]?.requestsPerSecond == 1)

        await sampler.record(Self.sample(100, [:]))  // time going backwards is ignored
        #expect(await sampler.latestTime == 300)

        let small = TrafficSampler(window: 60, capacity: 3)
        for second in 0..<10 { await small.record(Self.sample(Double(second), [:])) }
        #expect(await small.samples.map(\.time) == [7, 8, 9])
    }
}
