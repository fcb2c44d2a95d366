/// The result of a load run: one summary per target name.
public struct LoadSummary: Sendable, Codable, Equatable {
    public var targets: [String: TargetSummary]
    public var durationSeconds: Double

    public init(targets: [String: TargetSummary], durationSeconds: Double) {
        self.targets = targets
        self.durationSeconds = durationSeconds
    }

    public var sent: Int { targets.values.map(\.sent).reduce(0, +) }
    public var failed: Int { targets.values.map(\.failed).reduce(0, +) }

    /// One line per target: sent, failed (by kind), p50/p99/max latency.
    public func lines() -> [String] {
        targets.keys.sorted().map { name in
            let target = targets[name]!
            var kinds: [String] = []
            if target.connectErrors > 0 { kinds.append("connect \(target.connectErrors)") }
            if target.resets > 0 { kinds.append("reset \(target.resets)") }
            if target.timeouts > 0 { kinds.append("timeout \(target.timeouts)") }
            if target.otherErrors > 0 { kinds.append("other \(target.otherErrors)") }
            for (status, count) in target.statuses.sorted(by: { $0.key < $1.key })
            where !(200..<300).contains(status) {
                kinds.append("\(status) \(count)")
            }
            let detail = kinds.isEmpty ? "" : " (" + kinds.joined(separator: ", ") + ")"
            let closes = target.closeResponses > 0 ? " closed-by-server \(target.closeResponses)" : ""
            return "\(name): sent \(target.sent) failed \(target.failed)\(detail)\(closes)"
                + " p50 \(Self.milliseconds(target.p50Seconds)) p99 \(Self.milliseconds(target.p99Seconds))"
                + " max \(Self.milliseconds(target.maxSeconds))"
        }
    }

    private static func milliseconds(_ seconds: Double) -> String {
        let tenths = (seconds * 10_000).rounded()
        return "\(tenths / 10) ms"
    }
}
