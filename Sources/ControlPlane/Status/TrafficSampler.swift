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

extension TrafficSampler {
    /// Samples `source` every `interval` until `sampler` is gone or the task is cancelled.
    /// Holds the sampler weakly so that dropping the router ends the loop.
    static func startSampling(
        _ sampler: TrafficSampler, every interval: Duration,
        source: @escaping @Sendable () async -> [String: TrafficReport]
    ) {
        let origin = ContinuousClock.now
        Task { [weak sampler] in
            while !Task.isCancelled {
                do {
                    guard let current = sampler else { return }
                    let reports = await source()
                    await current.record(TrafficSample(time: (ContinuousClock.now - origin).seconds, reports: reports))
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
