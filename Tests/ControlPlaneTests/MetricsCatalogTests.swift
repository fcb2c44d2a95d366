import AdminAPI
import Foundation
import TestSupport
import Testing

/// What a dashboard relies on: every family the monitoring guide's table documents is exported
/// by a fresh gateway (before any traffic, counters at 0) with the documented type and labels,
/// `orch_endpoint_healthy` agrees with the health API, and a rollout keeps the `replica` labels
/// (slots) and the counters while the replaced processes' series go.
@Suite(.endToEnd, .serialized) struct MetricsCatalogTests {
    /// A row of the guide's table: name, type, label names.
    struct Documented {
        var name: String
        var type: String
        var labels: Set<String>
    }

    /// The metrics table of docs/user-guide/monitoring.md.
    static func documentedFamilies() throws -> [Documented] {
        let guide = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/user-guide/monitoring.md")
        let text = try String(contentsOf: guide, encoding: .utf8)
        return text.split(separator: "\n").compactMap { line -> Documented? in
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard cells.count >= 5, cells[1].hasPrefix("`orch_") || cells[1].hasPrefix("`process_"),
                ["counter", "gauge", "histogram"].contains(cells[2])
            else { return nil }
            // `result` (`ok`, `failed`): the label names are the backticked words outside parentheses.
            let names = cells[3].replacing(/\([^)]*\)/, with: "")
            let labels = names.matches(of: /`([a-z_]+)`/).map { String($0.output.1) }
            return Documented(
                name: cells[1].replacingOccurrences(of: "`", with: ""), type: cells[2], labels: Set(labels))
        }
    }

    /// Runs `body` with an echo upstream, stopped afterwards even when `body` throws.
    private func withEcho(_ body: (UpstreamServer) async throws -> Void) async throws {
        let good = try await UpstreamServer.start(.echo)
        var failure: (any Error)?
        do {
            try await body(good)
        } catch {
            failure = error
        }
        await good.stop()
        if let failure { throw failure }
    }

    @Test func aFreshGatewayExportsEveryDocumentedFamilyAndHealthAsTheHealthAPISaysIt() async throws {
        let documented = try Self.documentedFamilies()
        #expect(documented.count >= 20, "the table has \(documented.count) rows")
        try await withEcho { good in try await freshGateway(good, documented) }
    }

    private func freshGateway(_ good: UpstreamServer, _ documented: [Documented]) async throws {
        let control = try await ControlPlaneHarness.start(
            config: """
                health_check:
                  interval: 0.2
                  timeout: 1
                  healthy_threshold: 1
                  unhealthy_threshold: 1
                endpoints:
                  - name: up
                    url: \(good.baseURL)/up
                  - name: down
                    url: http://127.0.0.1:1/down
                  - name: pool
                    upstreams:
                      - url: \(good.baseURL)/a
                      - url: http://127.0.0.1:1/b
                    rate_limit:
                      requests_per_second: 100
                """, replicas: 2)
        defer { control.stop() }

        // Both replicas connected and both endpoints decided by the health checker.
        let text = try await eventually("a scrape with both slots and both verdicts", timeout: 60) { () -> String? in
            let records = try await control.admin(.GET, "/health/endpoints").decode(HealthRecordList.self).endpoints
            let statuses = Dictionary(
                records.map { ($0.endpointId, $0.status) }, uniquingKeysWith: { first, _ in first })
            guard statuses["up"] == "active", statuses["down"] == "unhealthy" else { return nil }
            let text = try await control.admin(.GET, "/metrics").text
            guard MetricSamples(text).labelValues("orch_upstream_healthy", "upstream").count == 2 else { return nil }
            let slots = Set(MetricSamples(text).labelValues("orch_active_connections", "replica"))
            return slots == ["1", "2"] ? text : nil
        }
        let samples = MetricSamples(text)
        for family in documented {
            #expect(text.contains("# TYPE \(family.name) \(family.type)\n"), "\(family.name) is not a \(family.type)")
            let series = samples.values.filter { $0.family == family.name }
            #expect(!series.isEmpty, "\(family.name) has no sample")
            for sample in series {
                var labels = Set(sample.labels.keys)
                labels.remove("le")
                #expect(labels == family.labels, "\(sample.name) has labels \(labels), documented \(family.labels)")
            }
        }
        // Counters are there at 0 before any request.
        #expect(samples.values.contains { $0.name == "orch_requests_total" && $0.labels["endpoint"] == "up" })
        #expect(samples.value("orch_requests_total", ["endpoint": "up"]) == 0)
        #expect(samples.value("orch_snapshot_nacks_total", [:]) == 0)
        #expect(samples.labelValues("orch_build_info", "version").count == 1)
        #expect(Set(samples.labelValues("orch_snapshot_version", "replica")) == ["1", "2"])

        // orch_endpoint_healthy says what /health/endpoints says.
        let records = try await control.admin(.GET, "/health/endpoints").decode(HealthRecordList.self).endpoints
        for record in records {
            let name = record.endpointId
            let expected: Double = record.status == "active" ? 1 : 0
            #expect(samples.value("orch_endpoint_healthy", ["endpoint": name]) == expected, "\(name)")
        }
        #expect(samples.sum("orch_endpoint_healthy", ["endpoint": "up"]) == 1)
        #expect(samples.value("orch_endpoint_healthy", ["endpoint": "down"]) == 0)
        #expect(samples.value("orch_upstream_healthy", ["upstream": "\(good.baseURL)/a"]) == 1)
        #expect(samples.value("orch_upstream_healthy", ["upstream": "http://127.0.0.1:1/b"]) == 0)
        #expect(samples.sum("orch_rate_limited_total", ["endpoint": "pool"]) == 0)
    }

    @Test func aRolloutKeepsTheSlotLabelsAndTheCountersAndDropsTheOldProcesses() async throws {
        try await withEcho { good in try await rollout(good) }
    }

    private func rollout(_ good: UpstreamServer) async throws {
        let control = try await ControlPlaneHarness.start(
            config: """
                health_check:
                  enabled: false
                endpoints:
                  - name: up
                    url: \(good.baseURL)/up
                """, replicas: 2)
        defer { control.stop() }
        let proxy = "http://127.0.0.1:\(control.proxyPort)/orchestrator/up/x"
        let before = try await eventually("20 requests counted", timeout: 60) { () -> MetricSamples? in
            _ = try? await TestHTTP.request(.GET, proxy, headers: [("Connection", "close")])
            let samples = MetricSamples(try await control.admin(.GET, "/metrics").text)
            return samples.sum("orch_requests_total", ["endpoint": "up", "status_class": "2xx"]) >= 20
                && Set(samples.labelValues("orch_replica_info", "replica")) == ["1", "2"] ? samples : nil
        }
        let oldPids = Set(before.labelValues("orch_replica_info", "pid"))
        let counted = before.sum("orch_requests_total", ["endpoint": "up", "status_class": "2xx"])

        #expect(try await control.admin(.POST, "/dataplanes/rollout").status == 202)
        _ = try await eventually("the rollout to succeed", timeout: 120) { () -> Bool? in
            let rollout = try await control.admin(.GET, "/dataplanes/rollout").decode(RolloutProgress.self)
            if rollout.state == "failed" { throw RolloutFailed(status: "\(rollout)") }
            return rollout.state == "succeeded" ? true : nil
        }
        let after = try await eventually("only the new replicas in the scrape", timeout: 60) { () -> MetricSamples? in
            let samples = MetricSamples(try await control.admin(.GET, "/metrics").text)
            let pids = Set(samples.labelValues("orch_replica_info", "pid"))
            return pids.count == 2 && pids.isDisjoint(with: oldPids) ? samples : nil
        }
        for family in ["orch_active_connections", "orch_snapshot_version", "orch_requests_total"] {
            #expect(Set(after.labelValues(family, "replica")) == ["1", "2"], "\(family)")
        }
        #expect(after.sum("orch_requests_total", ["endpoint": "up", "status_class": "2xx"]) >= counted)
        #expect(Set(after.labelValues("orch_replica_info", "replica")) == ["1", "2"])
    }
}

/// A rollout the test waited for failed.
struct RolloutFailed: Error, CustomStringConvertible {
    var status: String
    var description: String { "rollout failed: \(status)" }
}
