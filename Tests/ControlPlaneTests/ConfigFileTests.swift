import Foundation
import Shared
import TestSupport
import Testing

/// The control plane imports and watches its YAML file.
@Suite(.endToEnd) struct ConfigFileTests {
    static let seedConfig = """
        endpoints:
          - url: "http://127.0.0.1:9/users"
            name: "user_service"
            methods: ["GET", "POST", "PUT", "DELETE"]
            auth_type: "bearer"
            timeout: 30
          - url: "http://127.0.0.1:9/orders"
            name: "order_service"
            version: "v1"
            methods: ["GET", "POST"]
            auth_type: "bearer"
            timeout: 45
        circuit_breaker:
          failure_threshold: 5
          reset_timeout: 60
        health_check:
          enabled: false
          interval: 30
          timeout: 10
        """

    static func names(_ response: TestResponse) -> [String] {
        (response.json["endpoints"] as? [[String: Any]] ?? []).compactMap { $0["endpoint_id"] as? String }
    }

    static func currentVersion(_ gateway: ControlPlaneHarness) async throws -> Int {
        try await gateway.admin(.GET, "/snapshots").json["current_version"] as? Int ?? -1
    }

    @Test func seedSchemaLoadsAndIsListed() async throws {
        let gateway = try await ControlPlaneHarness.start(config: Self.seedConfig)
        defer { gateway.stop() }
        let list = try await gateway.admin(.GET, "/registry/endpoints")
        #expect(list.status == 200)
        #expect(Self.names(list) == ["user_service", "order_service"])
        let endpoint = try await gateway.admin(.GET, "/registry/endpoints/order_service").json
        #expect(endpoint["url"] as? String == "http://127.0.0.1:9/orders")
        #expect(endpoint["version"] as? String == "v1")
        #expect(endpoint["owner"] as? String == "file")
        #expect(endpoint["timeout"] as? Int == 45)
        let status = try await gateway.admin(.GET, "/config/status").json
        #expect(status["loaded"] as? Bool == true)
        #expect(status["watching"] as? Bool == true)
        #expect(status["endpoints_count"] as? Int == 2)
    }

    @Test func missingFileStartsEmptyAndWritesNothing() async throws {
        let gateway = try await ControlPlaneHarness.start(config: nil)
        defer { gateway.stop() }
        #expect(Self.names(try await gateway.admin(.GET, "/registry/endpoints")).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: gateway.configURL.path))
        #expect(try await gateway.admin(.GET, "/config/endpoints").status == 404)
        // Without a file the replicas apply the default limits.
        let limits = try await gateway.admin(.GET, "/config/status").json["proxy"] as? [String: Any]
        #expect(limits?["max_connections"] as? Int == 16384)
        #expect(limits?["header_timeout"] as? Double == 30)
    }

    @Test func editsInPlaceAndByRenameProduceNewVersions() async throws {
        let gateway = try await ControlPlaneHarness.start(config: Self.seedConfig)
        defer { gateway.stop() }
        let first = try await Self.currentVersion(gateway)

        try gateway.writeConfig(Self.seedConfig.replacingOccurrences(of: "timeout: 45", with: "timeout: 50"))
        let second = try await eventually("in-place edit applied") { () -> Int? in
            let version = try await Self.currentVersion(gateway)
            return version > first ? version : nil
        }
        #expect(try await gateway.admin(.GET, "/registry/endpoints/order_service").json["timeout"] as? Int == 50)

        try gateway.renameConfig(Self.seedConfig.replacingOccurrences(of: "timeout: 45", with: "timeout: 55"))
        _ = try await eventually("renamed file applied") { () -> Int? in
            let version = try await Self.currentVersion(gateway)
            return version > second ? version : nil
        }
        #expect(try await gateway.admin(.GET, "/registry/endpoints/order_service").json["timeout"] as? Int == 55)
        #expect(try await gateway.admin(.GET, "/config/status").json["watching"] as? Bool == true)
    }

    @Test(arguments: [
        ("bad YAML", "endpoints:\n  - name: [unclosed\n", nil as Int?),
        ("unknown key", "endpoints:\n  - name: a\n    url: http://127.0.0.1:9/a\n    colour: blue\n", 4),
        (
            "duplicate name",
            "endpoints:\n  - name: a\n    url: http://127.0.0.1:9/a\n  - name: a\n    url: http://127.0.0.1:9/b\n", 4
        ),
    ])
    func brokenEditKeepsTheOldVersionServing(kind: String, yaml: String, line: Int?) async throws {
        let gateway = try await ControlPlaneHarness.start(config: Self.seedConfig)
        defer { gateway.stop() }
        let before = try await Self.currentVersion(gateway)
        try gateway.writeConfig(yaml)
        let status = try await eventually("reload error for \(kind)") { () -> [String: Any]? in
            let status = try await gateway.admin(.GET, "/config/status").json
            return status["last_reload_error"] is String ? status : nil
        }
        let errors = status["last_reload_errors"] as? [[String: Any]] ?? []
        #expect(!errors.isEmpty)
        if let line {
            #expect(errors.first?["line"] as? Int == line, "\(errors)")
        } else {
            #expect(errors.first?["line"] is Int)
        }
        #expect(try await Self.currentVersion(gateway) == before)
        #expect(Self.names(try await gateway.admin(.GET, "/registry/endpoints")) == ["user_service", "order_service"])

        // Fixing the file clears the error.
        try gateway.writeConfig(Self.seedConfig)
        _ = try await eventually("error cleared") { () -> Bool? in
            try await gateway.admin(.GET, "/config/status").json["last_reload_error"] is NSNull ? true : nil
        }
    }

    @Test func validateAndDiffTakeTheDocumentInTheBody() async throws {
        let gateway = try await ControlPlaneHarness.start(config: Self.seedConfig)
        defer { gateway.stop() }
        let valid = try await gateway.admin(.POST, "/config/validate", json: Self.seedConfig).json
        #expect(valid["valid"] as? Bool == true)
        let limited = try await gateway.admin(
            .POST, "/config/validate", json: Self.seedConfig + "\nproxy:\n  header_timeout: 0.5\n"
        ).json
        #expect(limited["valid"] as? Bool == true)
        let badLimit = try await gateway.admin(
            .POST, "/config/validate", json: "proxy:\n  max_pipelined: 0\n  colour: blue\n"
        ).json
        #expect(badLimit["valid"] as? Bool == false)
        let limitFields = (badLimit["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
        #expect(Set(limitFields) == ["proxy.max_pipelined", "proxy.colour"])
        let invalid = try await gateway.admin(.POST, "/config/validate", json: "endpoints:\n  - url: nope\n").json
        #expect(invalid["valid"] as? Bool == false)
        let fields = (invalid["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
        #expect(Set(fields) == ["endpoints[0].name", "endpoints[0].url"])

        let edited =
            Self.seedConfig
            .replacingOccurrences(of: "timeout: 45", with: "timeout: 46")
            .replacingOccurrences(
                of: "  - url: \"http://127.0.0.1:9/users\"", with: "  - url: \"http://127.0.0.1:9/people\"")
            + "\n"  // keeps the document valid
        let diff = try await gateway.admin(.POST, "/config/diff", json: edited).json
        let changed = (diff["changed"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(changed.sorted() == ["order_service", "user_service"])
        #expect((diff["added"] as? [String]) == [])
        #expect((diff["removed"] as? [String]) == [])
        #expect(diff["proxy_changed"] as? Bool == false)
        let limits = try await gateway.admin(
            .POST, "/config/diff", json: Self.seedConfig + "\nproxy:\n  max_headers: 10\n"
        ).json
        #expect(limits["proxy_changed"] as? Bool == true)
        #expect(limits["policies_changed"] as? Bool == false)
        #expect((limits["changed"] as? [Any])?.isEmpty == true)
        // Nothing was applied.
        #expect(try await gateway.admin(.GET, "/registry/endpoints/order_service").json["timeout"] as? Int == 45)
    }
}
