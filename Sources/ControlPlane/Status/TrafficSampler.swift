import ServiceLifecycle
import Shared

/// Keeps the replicas' traffic reports of the last minute (a sample every few seconds) so the
/// status page can show rates, error rates and p99 over that window.
package actor TrafficSampler {
    /// How far back the rates look, in seconds.
    package let window: Double
    /// Bound on the samples kept, whatever the sampling pace.
    let capacity: Int
    private(set) var samples: [TrafficSample] = []

    package init(window: Double = 60, capacity: Int = 128) {
        self.window = window
        self.capacity = capacity
    }

    /// Adds a sample (times must not go backwards) and forgets those the window no longer
    /// needs: the newest sample at or before the window's start is kept as its base.
    package func record(_ sample: TrafficSample) {
        if let last = samples.last, sample.time < last.time { return }
        samples.append(sample)
        let start = sample.time - window
        if let base = samples.lastIndex(where: { $0.time <= start }), base > 0 {
            samples.removeFirst(base)
        }
        if samples.count > capacity { samples.removeFirst(samples.count - capacity) }
    }

    /// Rates over the kept samples.
    package func rates() -> (seconds: Double, endpoints: [String: EndpointRates]) {
        TrafficWindow.rates(samples)
    }

    /// Time of the newest sample.
    package var latestTime: Double? { samples.last?.time }
}

/// Samples the replicas' traffic reports into a ``TrafficSampler`` every few seconds, as a
/// `Service` of the control plane's group: it ends with graceful shutdown.
package struct TrafficSampling: Service {
    let sampler: TrafficSampler
    let interval: Duration
    let source: @Sendable () async -> [String: TrafficReport]

    package init(
        sampler: TrafficSampler, every interval: Duration = .seconds(5),
        source: @escaping @Sendable () async -> [String: TrafficReport]
    ) {
        self.sampler = sampler
        self.interval = interval
        self.source = source
    }

    package func run() async throws {
        let origin = ContinuousClock.now
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let reports = await source()
                await sampler.record(TrafficSample(time: (ContinuousClock.now - origin).seconds, reports: reports))
                do { try await Task.sleep(for: interval) } catch { return }
            }
        }
    }
}
