import AdminAPI
import Foundation
import TestSupport
import Testing

/// Authentication and bad input on the admin API.
@Suite(.endToEnd) struct AdminAPITests {
    @Test func tokenIsRequiredExceptForHealth() async throws {
        let gateway = try await ControlPlaneHarness.start(config: nil)
        defer { gateway.stop() }
        let tokenFile = gateway.dataDir.appendingPathComponent("admin.token").path
        let mode = try FileManager.default.attributesOfItem(atPath: tokenFile)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(gateway.token.count == 64)

        #expect(try await gateway.admin(.GET, "/health", headers: []).status == 200)
        for headers in [[], [("Authorization", "Bearer wrong")], [("Authorization", gateway.token)]] {
            let response = try await gateway.admin(.GET, "/registry/endpoints", headers: headers)
            #expect(response.status == 401)
            #expect(response.detail == "Missing or invalid bearer token")
        }
        let unauthenticatedWrite = try await gateway.admin(
            .POST, "/registry/endpoints", json: #"{"name": "x", "url": "http://127.0.0.1:9"}"#, headers: [])
        #expect(unauthenticatedWrite.status == 401)
        #expect(try await gateway.admin(.GET, "/registry/endpoints").status == 200)
        #expect(try await gateway.admin(.GET, "/no/such/route").status == 404)
    }

    @Test func badBodiesAreRefusedAndChangeNothing() async throws {
        let gateway = try await ControlPlaneHarness.start(config: nil)
        defer { gateway.stop() }
        let versionBefore = try await gateway.admin(.GET, "/snapshots").decode(SnapshotListing.self).currentVersion

        let garbage = try await gateway.admin(.POST, "/registry/endpoints", json: "{not json")
        #expect(garbage.status == 400)
        #expect(garbage.detail?.contains("not valid JSON") == true)

        let wrongTypes = try await gateway.admin(
            .POST, "/registry/endpoints",
            json: #"{"config": {"name": "x", "url": 5, "methods": "GET", "timeout": "soon"}}"#)
        #expect(wrongTypes.status == 422)
        guard case .issues(let issues) = try wrongTypes.decode(ErrorBody.self).detail else {
            Issue.record("a 422 lists the bad fields: \(wrongTypes.text)")
            return
        }
        #expect(Set(issues.compactMap(\.field)) == ["url", "methods", "timeout"])
        #expect(issues.allSatisfy { $0.loc == ["body", "config", $0.field ?? ""] })

        let unknownKey = try await gateway.admin(
            .POST, "/registry/endpoints", json: #"{"name": "x", "url": "http://127.0.0.1:9", "colour": "blue"}"#)
        #expect(unknownKey.status == 422)
        #expect(unknownKey.text.contains("colour"))

        let huge = String(repeating: "x", count: 2 * 1024 * 1024)
        let tooLarge = try await gateway.admin(.POST, "/registry/endpoints", json: #"{"name": "\#(huge)"}"#)
        #expect(tooLarge.status == 413)
        #expect(tooLarge.detail?.contains("too large") == true)

        let badQuery = try await gateway.admin(.GET, "/registry/endpoints?limit=0&status=sleepy")
        #expect(badQuery.status == 422)

        let badStatus = try await gateway.admin(.PUT, "/registry/endpoints/x/status?status=asleep")
        #expect(badStatus.status == 422)

        #expect(ConfigFileTests.names(try await gateway.admin(.GET, "/registry/endpoints")).isEmpty)
        #expect(
            try await gateway.admin(.GET, "/snapshots").decode(SnapshotListing.self).currentVersion == versionBefore)
    }

    @Test func seedShapesOfRootAndStats() async throws {
        let gateway = try await ControlPlaneHarness.start(config: ConfigFileTests.seedConfig)
        defer { gateway.stop() }
        let root = try await gateway.admin(.GET, "/").decode(ServiceDescription.self)
        #expect(root.service == "Orchestrator API")
        let stats = try await gateway.admin(.GET, "/registry/stats").decode(RegistryStatsResponse.self).registryStats
        #expect(stats == RegistryStats(total: 2, active: 2, inactive: 0, disabled: 0, unhealthy: 0))
        let routes = try await gateway.admin(.GET, "/router/routes").decode(RouteListing.self)
        #expect(routes.totalCount == 3)
        let debug = try await gateway.admin(.GET, "/router/debug/v1/order_service/items/7?x=1").decode(RouteDebug.self)
        #expect(debug.wouldForwardTo == "http://127.0.0.1:9/orders/items/7?x=1")
        #expect(debug.relativePath == "items/7")
        let miss = try await gateway.admin(.GET, "/router/debug/nothing/here")
        let missed = try miss.decode(RouteDebug.self)
        #expect(missed.error == "No matching endpoint found")
        #expect(missed.matchedEndpoint == nil && missed.relativePath == nil)
        // A miss shows `matched_endpoint` as null, and no `relative_path`: raw, as a decode cannot tell.
        #expect(miss.json["matched_endpoint"] is NSNull)
        #expect(miss.json["relative_path"] == nil)
        let health = try await gateway.admin(.GET, "/health", headers: []).decode(GatewayHealth.self)
        #expect(health.status == "healthy")
        #expect(health.registry.totalEndpoints == 2)
    }
}
