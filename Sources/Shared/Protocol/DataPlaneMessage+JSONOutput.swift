import Foundation

// A replica's periodic report holds two histograms and a breaker for every endpoint with
// traffic: written through `JSONEncoder`, it cost a replica at 10,000 endpoints an eighth of its
// CPU. Reports are written straight into bytes instead, with the keys and values of their
// `Encodable` conformances (a `nil` optional left out, as there).

extension DataPlaneMessage {
    /// The JSON of this message, as its `Encodable` conformance writes it.
    public func encodedJSON() throws -> [UInt8] {
        guard case .report(let report) = self else { return Array(try JSONEncoder().encode(self)) }
        let entries = (report.traffic?.endpoints.count ?? 0) + (report.breakers?.count ?? 0)
        var output = JSONOutput(capacity: 256 + entries * 384)
        output.openObject()
        output.key("type")
        output.string("report")
        output.key("report")
        report.write(to: &output)
        output.closeObject()
        return output.bytes
    }
}

extension ReplicaReport {
    func write(to output: inout JSONOutput) {
        output.openObject()
        if let requests {
            output.key("requests")
            output.int(requests)
        }
        if let draining {
            output.key("draining")
            output.bool(draining)
        }
        if let breakers {
            output.key("breakers")
            output.openArray()
            for breaker in breakers { breaker.write(to: &output) }
            output.closeArray()
        }
        if let traffic {
            output.key("traffic")
            traffic.write(to: &output)
        }
        if let healthSeq {
            output.key("health_seq")
            output.int(healthSeq)
        }
        output.closeObject()
    }
}

extension TrafficReport {
    func write(to output: inout JSONOutput) {
        output.openObject()
        output.key("endpoints")
        output.openArray()
        for endpoint in endpoints { endpoint.write(to: &output) }
        output.closeArray()
        output.key("active_connections")
        output.int(activeConnections)
        output.key("pooled_connections")
        output.int(pooledConnections)
        if let accessLogDropped {
            output.key("access_log_dropped")
            output.int(accessLogDropped)
        }
        if let requestsByProtocol {
            output.key("requests_by_protocol")
            output.openArray()
            for entry in requestsByProtocol {
                output.openObject()
                output.key("protocol")
                output.string(entry.protocol)
                output.key("tls")
                output.bool(entry.tls)
                output.key("requests")
                output.int(entry.requests)
                output.closeObject()
            }
            output.closeArray()
        }
        if let openTunnels {
            output.key("open_tunnels")
            output.int(openTunnels)
        }
        output.closeObject()
    }
}

extension EndpointTraffic {
    func write(to output: inout JSONOutput) {
        output.openObject()
        output.key("endpoint")
        output.string(endpoint)
        output.key("responses")
        output.counts(responses)
        output.key("request_duration")
        requestDuration.write(to: &output)
        output.key("upstream_duration")
        upstreamDuration.write(to: &output)
        output.key("upstream_errors")
        output.counts(upstreamErrors)
        output.key("breaker_transitions")
        output.int(breakerTransitions)
        if let retries {
            output.key("retries")
            output.counts(retries)
        }
        if let retryBudgetExhausted {
            output.key("retry_budget_exhausted")
            output.int(retryBudgetExhausted)
        }
        if let rateLimited {
            output.key("rate_limited")
            output.int(rateLimited)
        }
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
        output.key("sum")
        output.double(sum)
        output.key("count")
        output.int(count)
        output.closeObject()
    }
}

extension BreakerReport {
    func write(to output: inout JSONOutput) {
        output.openObject()
        output.key("endpoint")
        output.string(endpoint)
        output.key("state")
        output.string(state)
        output.key("failure_count")
        output.int(failureCount)
        if let lastFailureTime {
            output.key("last_failure_time")
            output.string(lastFailureTime)
        }
        if let lastSuccessTime {
            output.key("last_success_time")
            output.string(lastSuccessTime)
        }
        output.key("state_changed_time")
        output.string(stateChangedTime)
        output.key("half_open_calls")
        output.int(halfOpenCalls)
        output.key("rejected")
        output.int(rejected)
        output.key("transitions")
        output.int(transitions)
        output.key("failure_threshold")
        output.int(failureThreshold)
        output.key("reset_timeout")
        output.double(resetTimeout)
        output.key("half_open_max_calls")
        output.int(halfOpenMaxCalls)
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
        output.key("url")
        output.string(url)
        output.key("state")
        output.string(state)
        output.key("failure_count")
        output.int(failureCount)
        if let lastFailureTime {
            output.key("last_failure_time")
            output.string(lastFailureTime)
        }
        output.key("state_changed_time")
        output.string(stateChangedTime)
        output.key("rejected")
        output.int(rejected)
        output.key("transitions")
        output.int(transitions)
        output.key("in_flight")
        output.int(inFlight)
        output.key("requests")
        output.int(requests)
        output.key("errors")
        output.int(errors)
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
