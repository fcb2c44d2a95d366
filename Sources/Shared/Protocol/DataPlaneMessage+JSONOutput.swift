import Foundation

// A replica's periodic report holds two histograms and a breaker for every endpoint with
// traffic: written through `JSONEncoder`, it cost a replica at 10,000 endpoints an eighth of its
// CPU. Reports are written straight into bytes instead, with the keys and values of their
// `Encodable` conformances (a `nil` optional left out, as there). Each object's keys are written
// in sorted order, which the control plane's reader takes without sorting them again.

extension DataPlaneMessage {
    /// The JSON of this message, as its `Encodable` conformance writes it.
    public func encodedJSON() throws -> [UInt8] {
        guard case .report(let report) = self else { return Array(try JSONEncoder().encode(self)) }
        let entries = (report.traffic?.endpoints.count ?? 0) + (report.breakers?.count ?? 0)
        var output = JSONOutput(capacity: 256 + entries * 384)
        output.openObject()
        output.key("report")
        report.write(to: &output)
        output.member("type", "report")
        output.closeObject()
        return output.bytes
    }
}

extension ReplicaReport {
    func write(to output: inout JSONOutput) {
        output.openObject()
        if let breakers {
            output.key("breakers")
            output.openArray()
            for breaker in breakers { breaker.write(to: &output) }
            output.closeArray()
        }
        output.member("draining", draining)
        output.member("health_seq", healthSeq)
        output.member("requests", requests)
        if let traffic {
            output.key("traffic")
            traffic.write(to: &output)
        }
        output.closeObject()
    }
}

extension TrafficReport {
    func write(to output: inout JSONOutput) {
        output.openObject()
        output.member("access_log_dropped", accessLogDropped)
        output.member("active_connections", activeConnections)
        output.key("endpoints")
        output.openArray()
        for endpoint in endpoints { endpoint.write(to: &output) }
        output.closeArray()
        output.member("open_tunnels", openTunnels)
        output.member("pooled_connections", pooledConnections)
        if let requestsByProtocol {
            output.key("requests_by_protocol")
            output.openArray()
            for entry in requestsByProtocol {
                output.openObject()
                output.member("protocol", entry.protocol)
                output.member("requests", entry.requests)
                output.member("tls", entry.tls)
                output.closeObject()
            }
            output.closeArray()
        }
        output.closeObject()
    }
}

extension EndpointTraffic {
    func write(to output: inout JSONOutput) {
        output.openObject()
        output.member("breaker_transitions", breakerTransitions)
        output.member("endpoint", endpoint)
        output.member("rate_limited", rateLimited)
        output.key("request_duration")
        requestDuration.write(to: &output)
        output.key("responses")
        output.counts(responses)
        if let retries {
            output.key("retries")
            output.counts(retries)
        }
        output.member("retry_budget_exhausted", retryBudgetExhausted)
        output.key("upstream_duration")
        upstreamDuration.write(to: &output)
        output.key("upstream_errors")
        output.counts(upstreamErrors)
        output.closeObject()
    }
}

extension LatencyHistogram {
    func write(to output: inout JSONOutput) {
        output.openObject()
        output.key("buckets")
        output.openArray()
        for bucket in buckets { output.int(bucket) }
        output.closeArray()
        output.member("count", count)
        output.member("sum", sum)
        output.closeObject()
    }
}

extension BreakerReport {
    func write(to output: inout JSONOutput) {
        output.openObject()
        output.member("endpoint", endpoint)
        output.member("failure_count", failureCount)
        output.member("failure_threshold", failureThreshold)
        output.member("half_open_calls", halfOpenCalls)
        output.member("half_open_max_calls", halfOpenMaxCalls)
        output.member("last_failure_time", lastFailureTime)
        output.member("last_success_time", lastSuccessTime)
        output.member("rejected", rejected)
        output.member("reset_timeout", resetTimeout)
        output.member("state", state)
        output.member("state_changed_time", stateChangedTime)
        output.member("transitions", transitions)
        if let upstreams {
            output.key("upstreams")
            output.openArray()
            for upstream in upstreams { upstream.write(to: &output) }
            output.closeArray()
        }
        output.closeObject()
    }
}

extension UpstreamBreakerReport {
    func write(to output: inout JSONOutput) {
        output.openObject()
        output.member("errors", errors)
        output.member("failure_count", failureCount)
        output.member("in_flight", inFlight)
        output.member("last_failure_time", lastFailureTime)
        output.member("rejected", rejected)
        output.member("requests", requests)
        output.member("state", state)
        output.member("state_changed_time", stateChangedTime)
        output.member("transitions", transitions)
        output.member("url", url)
        output.closeObject()
    }
}

extension JSONOutput {
    /// Counts by name, as an object.
    mutating func counts(_ counts: [String: Int]) {
        openObject()
        for (name, count) in counts {
            key(name)
            int(count)
        }
        closeObject()
    }
}
