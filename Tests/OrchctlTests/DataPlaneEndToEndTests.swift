import AdminAPI
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// orchctl driving a real control plane whose supervised `orch-data-plane` replicas proxy to a
/// real upstream.
@Suite(.endToEnd) struct DataPlaneEndToEndTests {
    @Test func addRouteDisableEnableRemoveThroughTheProxy() async throws {
        let upstream = try await UpstreamServer.start(.echo)
        defer { Task { await upstream.stop() } }
        let gateway = try await ControlPlaneHarness.start(config: nil, replicas: 1)
        defer { gateway.stop() }
        let proxy = "http://127.0.0.1:\(gateway.proxyPort)"

        let added = try await gateway.orchctl("endpoint", "add", "svc", "--url", upstream.baseURL + "/base")
        #expect(added.status == 0, "\(added)")
        #expect(try await gateway.orchctl("endpoint", "list").lines.contains { $0.hasPrefix("svc ") })

        let routed = try await eventually("svc routed", timeout: 30) { () -> TestResponse? in
            let response = try await TestHTTP.request(.GET, (proxy + "/orchestrator/svc/hello?x=1"))
            return response.status == 200 ? response : nil
        }
        #expect(routed.json["method"] as? String == "GET")
        #expect(upstream.requests.last?.uri == "/base/hello?x=1")

        #expect(try await gateway.orchctl("endpoint", "disable", "svc").status == 0)
        let disabled = try await eventually("svc disabled", timeout: 30) { () -> TestResponse? in
            let response = try await TestHTTP.request(.GET, (proxy + "/orchestrator/svc/hello"))
            return response.status == 503 ? response : nil
        }
        #expect(disabled.detail == "Endpoint is disabled")

        #expect(try await gateway.orchctl("endpoint", "enable", "svc").status == 0)
        _ = try await eventually("svc enabled", timeout: 30) { () -> TestResponse? in
            let response = try await TestHTTP.request(.GET, (proxy + "/orchestrator/svc/again"))
            return response.status == 200 ? response : nil
        }

        #expect(try await gateway.orchctl("endpoint", "remove", "svc").status == 0)
        let removed = try await eventually("svc removed", timeout: 30) { () -> TestResponse? in
            let response = try await TestHTTP.request(.GET, (proxy + "/orchestrator/svc/hello"))
            return response.status == 404 ? response : nil
        }
        #expect(removed.detail?.hasPrefix("No endpoint found for path") == true, "\(removed.text)")
    }

    @Test func statusShowsBothReplicasAndAKilledOneAsGone() async throws {
        let gateway = try await ControlPlaneHarness.start(config: OrchctlFixtures.config, replicas: 2)
        defer { gateway.stop() }
        let version = try await OrchctlFixtures.currentVersion(gateway)

        func rows() async throws -> [String: [Substring]] {
            let status = try await gateway.orchctl("status")
            #expect(status.status == 0, "\(status)")
            var rows: [String: [Substring]] = [:]
            let header = status.lines.firstIndex { $0.hasPrefix("  REPLICA") } ?? status.lines.endIndex
            for line in status.lines[header...].dropFirst().prefix(while: { $0.hasPrefix("  ") }) {
                let cells = line.split(separator: " ")
                rows[String(cells[0])] = cells
            }
            return rows
        }
        let both = try await eventually("both replicas acknowledged", timeout: 60) { () -> [String: [Substring]]? in
            let rows = try await rows()
            return rows.count == 2 && rows.values.allSatisfy { $0.count > 3 && $0[2] == "\(version)" && $0[3] == "ok" }
                ? rows : nil
        }
        // Each row's PID is a replica the supervisor runs.
        #expect(Set(both.values.map { Int32(Self.cell($0, 1) ?? "") ?? 0 }) == Set(gateway.replicaPids))

        // Kill one by the pid the control plane reports.
        let listing = try await gateway.orchctl("status", "--output", "json")
        let replicas = try listing.decode(DataPlaneListing.self, at: "dataplanes").dataplanes
        let victimRow = try #require(replicas.first)
        let victimID = victimRow.replicaId
        let victim = victimRow.pid
        kill(pid_t(victim), SIGKILL)
        let started = Date()
        let after = try await eventually("\(victimID) gone", timeout: 10) { () -> [String: [Substring]]? in
            let rows = try await rows()
            return Self.cell(rows[victimID], 3) == "gone" ? rows : nil
        }
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(Self.cell(after[victimID], 1) == "\(victim)")
        #expect(after.filter { $0.key != victimID }.values.contains { Self.cell($0, 3) == "ok" })
    }

    /// A column of a status row, or `nil` when the row is shorter (never traps).
    static func cell(_ row: [Substring]?, _ index: Int) -> Substring? {
        guard let row, row.indices.contains(index) else { return nil }
        return row[index]
    }
}
