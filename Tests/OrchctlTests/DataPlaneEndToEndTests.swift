import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// orchctl driving a real control plane that feeds real `orch-data-plane` replicas proxying to a
/// real upstream.
@Suite struct DataPlaneEndToEndTests {
    @Test func addRouteDisableEnableRemoveThroughTheProxy() async throws {
        let upstream = try await UpstreamServer.start(.echo)
        let gateway = try await ControlPlaneHarness.start(config: nil)
        defer { gateway.stop() }
        let replica = try await DataPlaneHarness.start(controlSocket: gateway.socketPath, replicaID: "edge-1")
        defer { replica.stop() }
        defer { Task { await upstream.stop() } }

        let added = try await gateway.orchctl("endpoint", "add", "svc", "--url", upstream.baseURL + "/base")
        #expect(added.status == 0, "\(added)")
        #expect(try await gateway.orchctl("endpoint", "list").lines.contains { $0.hasPrefix("svc ") })

        let routed = try await eventually("svc routed", timeout: 30) { () -> TestResponse? in
            let response = try await TestHTTP.request(.GET, replica.url("/orchestrator/svc/hello?x=1"))
            return response.status == 200 ? response : nil
        }
        #expect(routed.json["method"] as? String == "GET")
        #expect(upstream.requests.last?.uri == "/base/hello?x=1")

        #expect(try await gateway.orchctl("endpoint", "disable", "svc").status == 0)
        let disabled = try await eventually("svc disabled", timeout: 30) { () -> TestResponse? in
            let response = try await TestHTTP.request(.GET, replica.url("/orchestrator/svc/hello"))
            return response.status == 503 ? response : nil
        }
        #expect(disabled.detail == "Endpoint is disabled")

        #expect(try await gateway.orchctl("endpoint", "enable", "svc").status == 0)
        _ = try await eventually("svc enabled", timeout: 30) { () -> TestResponse? in
            let response = try await TestHTTP.request(.GET, replica.url("/orchestrator/svc/again"))
            return response.status == 200 ? response : nil
        }

        #expect(try await gateway.orchctl("endpoint", "remove", "svc").status == 0)
        let removed = try await eventually("svc removed", timeout: 30) { () -> TestResponse? in
            let response = try await TestHTTP.request(.GET, replica.url("/orchestrator/svc/hello"))
            return response.status == 404 ? response : nil
        }
        #expect(removed.detail?.hasPrefix("No endpoint found for path") == true, "\(removed.text)")
    }

    @Test func statusShowsBothReplicasAndAKilledOneAsGone() async throws {
        let gateway = try await ControlPlaneHarness.start(config: OrchctlFixtures.config)
        defer { gateway.stop() }
        let first = try await DataPlaneHarness.start(controlSocket: gateway.socketPath, replicaID: "edge-1")
        defer { first.stop() }
        let second = try await DataPlaneHarness.start(controlSocket: gateway.socketPath, replicaID: "edge-2")
        defer { second.stop() }
        let version = try await OrchctlFixtures.currentVersion(gateway)

        func rows() async throws -> [String: [Substring]] {
            let status = try await gateway.orchctl("status")
            #expect(status.status == 0, "\(status)")
            var rows: [String: [Substring]] = [:]
            for line in status.lines where line.hasPrefix("  edge-") {
                let cells = line.split(separator: " ")
                rows[String(cells[0])] = cells
            }
            return rows
        }
        let both = try await eventually("both replicas acknowledged", timeout: 30) { () -> [String: [Substring]]? in
            let rows = try await rows()
            return rows.count == 2 && rows.values.allSatisfy { $0.count > 3 && $0[2] == "\(version)" && $0[3] == "ok" }
                ? rows : nil
        }
        #expect(both["edge-1"]?[1] == "\(first.pid)")
        #expect(both["edge-2"]?[1] == "\(second.pid)")

        // Kill one by the pid the control plane reports.
        let listing = try await gateway.orchctl("status", "--output", "json").json
        let replicas = (listing["dataplanes"] as? [String: Any])?["dataplanes"] as? [[String: Any]] ?? []
        let victim = try #require(replicas.first { $0["replica_id"] as? String == "edge-2" }?["pid"] as? Int)
        kill(pid_t(victim), SIGKILL)
        let started = Date()
        let after = try await eventually("edge-2 gone", timeout: 10) { () -> [String: [Substring]]? in
            let rows = try await rows()
            return rows["edge-2"]?[3] == "gone" ? rows : nil
        }
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(after["edge-1"]?[3] == "ok")
        #expect(try await gateway.orchctl("status").lines.contains("Replicas  1 connected, 1 gone"))
    }
}

extension DataPlaneHarness {
    var pid: Int32 { process.pid }
}
