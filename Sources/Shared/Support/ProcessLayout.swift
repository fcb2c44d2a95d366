import Foundation

/// How the proxy uses a machine's cores when `--replicas` and `--event-loops` are `auto`: one
/// replica with one event loop per core. Measured against two single-loop replicas sharing the
/// socket (the nginx model) on 2 cores, it served as many or more requests at less CPU per
/// request (docs/developer-guide/benchmarks.md, "One replica with two event loops, or two
/// replicas with one"); more replicas stay the choice for isolation and rollouts.
public enum ProcessLayout {
    /// Replicas the control plane starts for `--replicas auto`.
    public static let automaticReplicas = 1

    /// Event loop threads of a replica for `--event-loops auto`: one per core.
    public static func automaticEventLoops(cores: Int) -> Int { max(1, cores) }

    /// Event loop threads of each of `replicas` supervised replicas sharing a machine's `cores`,
    /// unless `ORCH_EVENT_LOOPS` says otherwise: the cores divided among them, rounded up, so that
    /// together they run about one loop per core (nginx's one worker per core) instead of one
    /// per core each. One replica gets ``automaticEventLoops(cores:)``.
    public static func eventLoops(cores: Int, sharedBy replicas: Int) -> Int {
        let replicas = max(1, replicas)
        return max(1, (automaticEventLoops(cores: cores) + replicas - 1) / replicas)
    }

    /// Reads a count flag: `auto` (any case) gives `automatic`, else a whole number in `range`;
    /// `nil` for anything else.
    public static func count(_ text: String, automatic: Int, in range: ClosedRange<Int>) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.lowercased() == "auto" { return automatic }
        guard let number = Int(trimmed), range.contains(number) else { return nil }
        return number
    }
}
