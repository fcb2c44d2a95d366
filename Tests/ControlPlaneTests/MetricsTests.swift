import AdminAPI
import Foundation
import NIOHTTP1
import TestSupport
import Testing

/// `GET /metrics` end to end: a control plane with two replicas in front of real upstreams;
/// the replicas' reported traffic shows up summed exactly as sent.
@Suite(.endToEnd, .serialized) struct MetricsTests {
    @Test func metricsShowWhatTheReplicasServed() async throws {
        let good = try await UpstreamServer.start(.echo)
        let failing = try await UpstreamServer.start(.fixed(status: 500, headers: [], body: "broken"))
        var failure: (any Error)?
        do {
            try await servedTraffic(good: good, failing: failing)
        } catch {
            failure = error
        }
        await good.stop()
        await failing.stop()
        if let failure { throw failure }
    }

    private func servedTraffic(good: UpstreamServer, failing: UpstreamServer) async throws {
        let directory = try TestDirectory()
        let accessLog = directory.file("access.log").path
        let control = try await ControlPlaneHarness.start(
            config: """
                health_check:
                  enabled: false
                endpoints:
                  - name: a
                    url: \(good.baseURL)/api
                  - name: b
                    url: \(failing.baseURL)/api
                    circuit_breaker:
                      failure_threshold: 1000
                """, replicas: 2, arguments: ["--access-log", accessLog], directory: directory)
        defer { control.stop() }

        try await waitForProxy(control)
        let proxy = "http://127.0.0.1:\(control.proxyPort)/orchestrator"
        // `Connection: close` spreads the requests over both replicas' accepts.
        let close = [("Connection", "close")]
        var requestIDs: [String: Int] = [:]  // the X-Request-ID each client saw -> its status
        func send(_ url: String) async throws -> Int {
            let response = try await TestHTTP.request(.GET, url, headers: close)
            if let id = response.headers.first(name: "x-request-id") { requestIDs[id] = response.status }
            return response.status
        }
        for index in 0..<40 { #expect(try await send("\(proxy)/a/item/\(index)") == 200) }
        for _ in 0..<10 { #expect(try await send("\(proxy)/b/x") == 500) }
        for _ in 0..<5 { #expect(try await send("\(proxy)/nowhere/x") == 404) }
        #expect(requestIDs.count == 55)

        let text = try await eventually("the totals in /metrics", timeout: 60) { () -> String? in
            let text = try await control.admin(.GET, "/metrics").text
            let samples = MetricSamples(text)
            let done =
                samples.sum("orch_requests_total", ["endpoint": "a", "status_class": "2xx"]) == 40
                && samples.sum("orch_requests_total", ["endpoint": "b", "status_class": "5xx"]) == 10
                && samples.sum("orch_requests_total", ["endpoint": "-", "status_class": "4xx"]) == 5
            return done ? text : nil
        }
        let samples = MetricSamples(text)
        #expect(samples.sum("orch_request_duration_seconds_count", ["endpoint": "a"]) == 40)
        #expect(samples.sum("orch_request_duration_seconds_bucket", ["endpoint": "a", "le": "+Inf"]) == 40)
        #expect(samples.sum("orch_upstream_duration_seconds_count", ["endpoint": "b"]) == 10)
        #expect(samples.sum("orch_upstream_errors_total", ["endpoint": "b", "kind": "5xx"]) == 10)
        #expect(samples.value("orch_upstream_errors_total", ["endpoint": "a"]) == 0)
        #expect(Set(samples.labelValues("orch_active_connections", "replica")) == ["1", "2"])
        #expect(samples.sum("orch_snapshot_version", [:]) > 0)
        #expect(samples.sum("orch_config_reloads_total", ["result": "ok"]) >= 1)
        #expect(samples.value("orch_config_reloads_total", ["result": "failed"]) == 0)
        #expect(samples.sum("orch_uptime_seconds", [:]) >= 0)
        #expect(samples.values.contains { $0.name == "orch_uptime_seconds" })

        // One access-log line per request, under the id the client saw, from either replica.
        let lines = try await eventually("an access-log line for each request", timeout: 60) {
            () -> [[String: Any]]? in
            let text = (try? String(contentsOfFile: accessLog, encoding: .utf8)) ?? ""
            let lines = text.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            return lines.count >= requestIDs.count ? lines : nil
        }
        #expect(lines.count == requestIDs.count)
        for line in lines {
            let id = line["request_id"] as? String ?? ""
            #expect(requestIDs[id] != nil, "logged id \(id) was not seen by a client")
            #expect(line["status"] as? Int == requestIDs[id])
        }
        #expect(Set(lines.compactMap { $0["request_id"] as? String }) == Set(requestIDs.keys))
        let replicas = Set(samples.labelValues("orch_replica_info", "replica_id"))
        #expect(Set(lines.compactMap { $0["replica"] as? String }).isSubset(of: replicas))

        // Every line is a comment or `name{labels} value`, and every family says HELP and TYPE.
        let sample = try Regex(#"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? \S+$"#)
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            #expect(line.wholeMatch(of: sample) != nil, "not a sample line: \(line)")
            #expect(Double(line.split(separator: " ").last!.replacingOccurrences(of: "Inf", with: "infinity")) != nil)
        }
        for family in Set(samples.values.map(\.family)) {
            #expect(text.contains("# HELP \(family) "), "no HELP for \(family)")
            #expect(text.contains("# TYPE \(family) "), "no TYPE for \(family)")
        }
    }

    @Test func metricsNeedTheToken() async throws {
        let control = try await ControlPlaneHarness.start(config: nil)
        defer { control.stop() }
        #expect(try await control.admin(.GET, "/metrics", headers: []).status == 401)
        #expect(try await control.admin(.GET, "/metrics", headers: [("Authorization", "Bearer wrong")]).status == 401)
        let response = try await control.admin(.GET, "/metrics")
        #expect(response.status == 200)
        #expect(response.headers.first(name: "content-type")?.hasPrefix("text/plain") == true)
        #expect(response.text.contains("# TYPE orch_uptime_seconds gauge"))
    }

    /// Waits until both replicas serve the snapshot.
    private func waitForProxy(_ control: ControlPlaneHarness) async throws {
        _ = try await eventually("both replicas acknowledging", timeout: 60) { () -> Bool? in
            let listing = try await control.admin(.GET, "/dataplanes").decode(DataPlaneListing.self)
            let acked = listing.dataplanes.compactMap(\.ackedVersion)
            return acked.count == 2 && acked.allSatisfy { $0 == listing.currentVersion } ? true : nil
        }
    }
}

/// The samples of a Prometheus text exposition.
struct MetricSamples {
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double

        /// The family a sample belongs to (histogram suffixes removed).
        var family: String {
            for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) && name.contains("duration") {
                return String(name.dropLast(suffix.count))
            }
            return name
        }
    }

    var values: [Sample] = []

    init(_ text: String) {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                continue
            }
            let series = line[..<space]
            var labels: [String: String] = [:]
            var name = String(series)
            if let brace = series.firstIndex(of: "{") {
                name = String(series[..<brace])
                let inner = series[series.index(after: brace)..<series.index(before: series.endIndex)]
                for pair in inner.split(separator: ",") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    guard parts.count == 2 else { continue }
                    labels[String(parts[0])] = String(parts[1].dropFirst().dropLast())
                }
            }
            values.append(Sample(name: name, labels: labels, value: value))
        }
    }

    /// The sum over every series of `name` whose labels include `labels` (0 when there is none).
    func sum(_ name: String, _ labels: [String: String]) -> Double {
        value(name, labels) ?? 0
    }

    /// The sum over every series of `name` whose labels include `labels`; `nil` when no series
    /// matches, so that "present and 0" is told apart from "missing".
    func value(_ name: String, _ labels: [String: String]) -> Double? {
        let matching = values.filter { sample in
            sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value }
        }
        return matching.isEmpty ? nil : matching.reduce(0) { $0 + $1.value }
    }

    func labelValues(_ name: String, _ label: String) -> [String] {
        values.filter { $0.name == name }.compactMap { $0.labels[label] }
    }
}
