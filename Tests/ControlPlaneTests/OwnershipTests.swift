import AdminAPI
import Foundation
import TestSupport
import Testing

/// File-owned endpoints change only through the file; API-owned ones survive reloads.
@Suite(.endToEnd) struct OwnershipTests {
    @Test func apiEndpointSurvivesReloadAndFileEndpointRefusesAPIWrites() async throws {
        let gateway = try await ControlPlaneHarness.start(config: ConfigFileTests.seedConfig)
        defer { gateway.stop() }
        let created = try await gateway.admin(
            .POST, "/registry/endpoints", json: #"{"config": {"name": "api_one", "url": "http://127.0.0.1:9/api"}}"#)
        #expect(created.status == 200)
        #expect(try created.decode(EndpointRegistered.self).endpointId == "api_one")

        // Reload through the API and through an edit that removes a file endpoint.
        #expect(try await gateway.admin(.POST, "/config/reload").status == 200)
        let withoutOrders =
            ConfigFileTests.seedConfig.components(separatedBy: "  - url: \"http://127.0.0.1:9/orders\"")[0]
            + "circuit_breaker:\n  failure_threshold: 5\n"
        try gateway.writeConfig(withoutOrders)
        let names = try await eventually("order_service removed") { () -> [String]? in
            let names = ConfigFileTests.names(try await gateway.admin(.GET, "/registry/endpoints"))
            return names.contains("order_service") ? nil : names
        }
        #expect(names.sorted() == ["api_one", "user_service"])

        for (method, path, body) in [
            ("POST", "/registry/endpoints", #"{"name": "user_service", "url": "http://127.0.0.1:9/users"}"#),
            ("PUT", "/registry/endpoints/user_service", #"{"url": "http://127.0.0.1:9/other"}"#),
            ("DELETE", "/registry/endpoints/user_service", nil),
        ] {
            let response = try await gateway.admin(.init(rawValue: method), path, json: body)
            #expect(response.status == 409, "\(method) \(path): \(response.text)")
            #expect(response.detail?.contains(gateway.configURL.path) == true, "\(response.text)")
        }
        // The status of a file-owned endpoint is runtime state and may be set.
        #expect(try await gateway.admin(.PUT, "/registry/endpoints/user_service/status?status=inactive").status == 200)
    }

    @Test func registryConflictsKeepTheOriginalMessages() async throws {
        let gateway = try await ControlPlaneHarness.start(config: nil)
        defer { gateway.stop() }
        _ = try await gateway.admin(
            .POST, "/registry/endpoints", json: #"{"name": "a", "url": "http://127.0.0.1:9/a"}"#)
        let sameName = try await gateway.admin(
            .POST, "/registry/endpoints", json: #"{"name": "a", "url": "http://127.0.0.1:9/b"}"#)
        #expect(sameName.status == 400)
        #expect(sameName.detail == "Endpoint ID 'a' already exists with different URL")
        let sameURL = try await gateway.admin(
            .POST, "/registry/endpoints", json: #"{"name": "b", "url": "http://127.0.0.1:9/a"}"#)
        #expect(sameURL.status == 400)
        #expect(sameURL.detail == "URL 'http://127.0.0.1:9/a' already registered with different ID 'a'")
        let missing = try await gateway.admin(.DELETE, "/registry/endpoints/nope")
        #expect(missing.status == 404)
        #expect(missing.detail == "Endpoint not found: nope")
        let removed = try await gateway.admin(.DELETE, "/registry/endpoints/a")
        #expect(try removed.decode(EndpointRemoved.self).message == "Endpoint a unregistered successfully")
    }
}
