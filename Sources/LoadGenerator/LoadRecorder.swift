import NIOConcurrencyHelpers

/// Collects outcomes and latencies per target from many concurrent requests.
final class LoadRecorder: Sendable {
    private struct Tally {
        var summary = TargetSummary()
        var latencies: [Double] = []
    }

    private let tallies = NIOLockedValueBox<[String: Tally]>([:])
    private static let maxSampleErrors = 5

    func record(target: String, outcome: LoadOutcome, seconds: Double, error: String?, closing: Bool = false) {
        tallies.withLockedValue { tallies in
            var tally = tallies[target, default: Tally()]
            tally.summary.sent += 1
            switch outcome {
            case .response(let status):
                tally.summary.statuses[status, default: 0] += 1
                if closing { tally.summary.closeResponses += 1 }
                tally.latencies.append(seconds)
            case .connectError: tally.summary.connectErrors += 1
            case .reset: tally.summary.resets += 1
            case .timeout: tally.summary.timeouts += 1
            case .otherError: tally.summary.otherErrors += 1
            }
            if let error, tally.summary.sampleErrors.count < Self.maxSampleErrors {
                tally.summary.sampleErrors.append(error)
            }
            tallies[target] = tally
        }
    }

    func summary(durationSeconds: Double) -> LoadSummary {
        let tallies = tallies.withLockedValue { $0 }
        var targets: [String: TargetSummary] = [:]
        for (name, tally) in tallies {
            var summary = tally.summary
            let sorted = tally.latencies.sorted()
            summary.p50Seconds = Self.percentile(sorted, 0.50)
            summary.p99Seconds = Self.percentile(sorted, 0.99)
            summary.maxSeconds = sorted.last ?? 0
            targets[name] = summary
        }
        return LoadSummary(targets: targets, durationSeconds: durationSeconds)
    }

    /// The nearest-rank percentile of sorted values (0 when there are none).
    static func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}
