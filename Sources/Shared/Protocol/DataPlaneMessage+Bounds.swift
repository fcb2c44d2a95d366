/// Range checks on what a process on the control socket says. JSON decoding checks only the
/// shape; a peer that can open the socket could still send a huge counter (summing it would trap
/// the control plane on the next `/metrics`), a negative version, or megabytes of names.
extension DataPlaneMessage {
    /// The largest counter accepted: far above what a replica counts in years, and far enough
    /// below `Int.max` that sums over thousands of replicas and endpoints cannot overflow.
    public static let maximumCounter = 1 << 50
    /// The most endpoints (or breakers) one report may list.
    public static let maximumReportedEndpoints = 200_000
    /// The longest name or text accepted in a message.
    public static let maximumTextLength = 4096

    /// Why this message is out of range, or `nil` when it is acceptable.
    public var boundsProblem: String? {
        switch self {
        case .hello(let hello): hello.boundsProblem
        case .ack(let version): Self.counterProblem(version, "ack version")
        case .nack(let version, let error):
            Self.counterProblem(version, "nack version") ?? Self.textProblem(error, "nack error", allowEmpty: true)
        case .report(let report): report.boundsProblem
        case .heartbeat(let heartbeat):
            heartbeat.version.flatMap { Self.counterProblem($0, "heartbeat version") }
                ?? heartbeat.checksum.flatMap { Self.tokenProblem($0, "heartbeat checksum") }
        }
    }

    static func counterProblem(_ value: Int, _ what: String) -> String? {
        (0...maximumCounter).contains(value) ? nil : "\(what) \(value) is out of range"
    }

    /// Short printable text: a checksum or a version string.
    static func tokenProblem(_ text: String, _ what: String) -> String? {
        guard !text.isEmpty, text.utf8.count <= 64,
            !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else { return "\(what) must be 1 to 64 printable characters" }
        return nil
    }

    static func textProblem(_ text: String, _ what: String, allowEmpty: Bool = false) -> String? {
        if text.isEmpty && !allowEmpty { return "\(what) is empty" }
        return text.utf8.count <= maximumTextLength ? nil : "\(what) is longer than \(maximumTextLength) bytes"
    }
}

extension DataPlaneMessage.Hello {
    /// The largest process id Linux hands out (`pid_max` is at most 2^22).
    static let maximumPid = 1 << 22

    var boundsProblem: String? {
        if let problem = DataPlaneMessage.textProblem(replicaId, "replica id") { return problem }
        if replicaId.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return "replica id holds control characters"
        }
        guard (1...Self.maximumPid).contains(pid) else { return "pid \(pid) is out of range" }
        if let version, let problem = DataPlaneMessage.counterProblem(version, "version") { return problem }
        if let softwareVersion, let problem = DataPlaneMessage.tokenProblem(softwareVersion, "software version") {
            return problem
        }
        if let slot {
            guard slot.utf8.count <= 64, !slot.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
            else { return "slot must be at most 64 printable characters" }
        }
        return nil
    }
}

extension ReplicaReport {
    var boundsProblem: String? {
        if let requests, let problem = DataPlaneMessage.counterProblem(requests, "requests") { return problem }
        if let healthSeq, let problem = DataPlaneMessage.counterProblem(healthSeq, "health seq") { return problem }
        if let breakers {
            guard breakers.count <= DataPlaneMessage.maximumReportedEndpoints else { return "too many breakers" }
            for breaker in breakers {
                if let problem = breaker.boundsProblem { return problem }
            }
        }
        return traffic?.boundsProblem
    }
}

extension BreakerReport {
    var boundsProblem: String? {
        for (text, what) in [
            (endpoint, "breaker endpoint"), (state, "breaker state"), (stateChangedTime, "breaker time"),
        ] {
            if let problem = DataPlaneMessage.textProblem(text, what, allowEmpty: true) { return problem }
        }
        for (value, what) in [
            (failureCount, "failure count"), (halfOpenCalls, "half-open calls"), (rejected, "rejected"),
            (transitions, "transitions"), (failureThreshold, "failure threshold"),
            (halfOpenMaxCalls, "half-open maximum"),
        ] {
            if let problem = DataPlaneMessage.counterProblem(value, "breaker \(what)") { return problem }
        }
        guard resetTimeout.isFinite, resetTimeout >= 0 else { return "breaker reset timeout is out of range" }
        if let upstreams {
            guard upstreams.count <= UpstreamConfig.maximumCount else { return "too many upstream breakers" }
            for upstream in upstreams {
                if let problem = upstream.boundsProblem { return problem }
            }
        }
        return nil
    }
}

extension UpstreamBreakerReport {
    var boundsProblem: String? {
        if url.utf8.count > HealthUpdate.maximumURLBytes { return "upstream breaker url is too long" }
        for (text, what) in [(state, "upstream breaker state"), (stateChangedTime, "upstream breaker time")] {
            if let problem = DataPlaneMessage.textProblem(text, what, allowEmpty: true) { return problem }
        }
        if let time = lastFailureTime,
            let problem = DataPlaneMessage.textProblem(time, "upstream breaker time", allowEmpty: true)
        {
            return problem
        }
        for (value, what) in [
            (failureCount, "failure count"), (rejected, "rejected"), (transitions, "transitions"),
            (inFlight, "in flight"), (requests, "requests"), (errors, "errors"),
        ] {
            if let problem = DataPlaneMessage.counterProblem(value, "upstream breaker \(what)") { return problem }
        }
        return nil
    }
}

extension TrafficReport {
    var boundsProblem: String? {
        guard endpoints.count <= DataPlaneMessage.maximumReportedEndpoints else { return "too many endpoints" }
        for (value, what) in [(activeConnections, "active connections"), (pooledConnections, "pooled connections")] {
            if let problem = DataPlaneMessage.counterProblem(value, what) { return problem }
        }
        if let dropped = accessLogDropped, let problem = DataPlaneMessage.counterProblem(dropped, "dropped lines") {
            return problem
        }
        if let openTunnels, let problem = DataPlaneMessage.counterProblem(openTunnels, "open tunnels") {
            return problem
        }
        for traffic in endpoints {
            if let problem = traffic.boundsProblem { return problem }
        }
        return nil
    }
}

extension EndpointTraffic {
    var boundsProblem: String? {
        if let problem = DataPlaneMessage.textProblem(endpoint, "endpoint") { return problem }
        for (counts, what) in [
            (responses, "responses"), (upstreamErrors, "upstream errors"), (retries ?? [:], "retries"),
        ] {
            guard counts.count <= 16 else { return "too many \(what) classes" }
            for (key, value) in counts {
                guard key.utf8.count <= 32 else { return "\(what) class is too long" }
                if let problem = DataPlaneMessage.counterProblem(value, what) { return problem }
            }
        }
        if let problem = DataPlaneMessage.counterProblem(breakerTransitions, "breaker transitions") { return problem }
        for (value, what) in [(retryBudgetExhausted, "retry budget exhausted"), (rateLimited, "rate limited")] {
            if let value, let problem = DataPlaneMessage.counterProblem(value, what) { return problem }
        }
        return requestDuration.boundsProblem ?? upstreamDuration.boundsProblem
    }
}

extension LatencyHistogram {
    var boundsProblem: String? {
        guard buckets.count <= Self.upperBounds.count + 1 else { return "too many histogram buckets" }
        for bucket in buckets {
            if let problem = DataPlaneMessage.counterProblem(bucket, "histogram bucket") { return problem }
        }
        if let problem = DataPlaneMessage.counterProblem(count, "histogram count") { return problem }
        guard sum.isFinite, sum >= 0, sum <= 1e15 else { return "histogram sum is out of range" }
        return nil
    }
}
