import Benchmark

/// What the request-path benchmarks measure, and which of it gates.
///
/// Left out on purpose, on this project's Linux machines (docs/developer-guide/benchmarks.md):
/// `retainCount`/`releaseCount` (the package's ARC hooks crash on the Swift 6.3 runtime without its
/// `RuntimeInterposer` trait, whose package is not available here), `instructions` (no hardware
/// counters on these VMs: the package silently drops the metric) and `cpuTotal` (counted in 10 ms
/// scheduler ticks, and read from `/proc` inside the measured region, which adds allocations).
enum ProxyPathBenchmarkSettings {
    /// The gated count first, then figures for information.
    static var metrics: [BenchmarkMetric] { gated + [.mallocBytesCount, .mallocFreeDelta, .wallClock] }

    /// Heap allocations (counted by the package's malloc interposer): the same run after run for
    /// the same build, whatever else the machine is doing.
    static var gated: [BenchmarkMetric] { [.mallocCountTotal] }

    /// More than 10 % above the recorded p90 fails; more than 10 % below is an improvement (time to
    /// re-record). The other metrics never fail, even if a thresholds file names them: a metric
    /// with no tolerance set here would be held to the package's strict default (no deviation).
    static var thresholds: [BenchmarkMetric: BenchmarkThresholds] {
        var thresholds: [BenchmarkMetric: BenchmarkThresholds] = [:]
        for metric in metrics {
            thresholds[metric] = gated.contains(metric) ? BenchmarkThresholds(relative: [.p90: 10.0]) : .none
        }
        return thresholds
    }
}
