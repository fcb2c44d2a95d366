import AdminAPI
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
        ((try? response.decode(EndpointList.self))?.endpoints ?? []).map(\.endpointId)
    }

    static func timeout(of endpoint: String, _ gateway: ControlPlaneHarness) async throws -> Int {
        try await gateway.admin(.GET, "/registry/endpoints/\(endpoint)").decode(EndpointDetails.self).timeout
    }

    static func currentVersion(_ gateway: ControlPlaneHarness) async throws -> Int {
        (try? await gateway.admin(.GET, "/snapshots").decode(SnapshotListing.self))?.currentVersion ?? -1
    }

    @Test func seedSchemaLoadsAndIsListed() async throws {
        let gateway = try await ControlPlaneHarness.start(config: Self.seedConfig)
        defer { gateway.stop() }
        let list = try await gateway.admin(.GET, "/registry/endpoints")
        #expect(list.status == 200)
        #expect(Self.names(list) == ["user_service", "order_service"])
        let endpoint = try await gateway.admin(.GET, "/registry/endpoints/order_service").decode(EndpointDetails.self)
        #expect(endpoint.url == "http://127.0.0.1:9/orders")
        #expect(endpoint.version == "v1")
        #expect(endpoint.owner == "file")
        #expect(endpoint.timeout == 45)
        let status = try await gateway.admin(.GET, "/config/status").decode(ConfigStatus.self)
        #expect(status.loaded == true)
        #expect(status.watching == true)
        #expect(status.endpointsCount == 2)
    }

    @Test func missingFileStartsEmptyAndWritesNothing() async throws {
        let gateway = try await ControlPlaneHarness.start(config: nil)
        defer { gateway.stop() }
        #expect(Self.names(try await gateway.admin(.GET, "/registry/endpoints")).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: gateway.configURL.path))
        #expect(try await gateway.admin(.GET, "/config/endpoints").status == 404)
        // Without a file the replicas apply the default limits.
        let limits = try await gateway.admin(.GET, "/config/status").decode(ConfigStatus.self).proxy
        #expect(limits.maxConnections == 16384)
        #expect(limits.headerTimeout == 30)
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
        #expect(try await Self.timeout(of: "order_service", gateway) == 50)

        try gateway.renameConfig(Self.seedConfig.replacingOccurrences(of: "timeout: 45", with: "timeout: 55"))
        _ = try await eventually("renamed file applied") { () -> Int? in
            let version = try await Self.currentVersion(gateway)
            return version > second ? version : nil
        }
        #expect(try await Self.timeout(of: "order_service", gateway) == 55)
        #expect(try await gateway.admin(.GET, "/config/status").decode(ConfigStatus.self).watching)
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
        let status = try await eventually("reload error for \(kind)") { () -> ConfigStatus? in
            let status = try await gateway.admin(.GET, "/config/status").decode(ConfigStatus.self)
            return status.lastReloadError != nil ? status : nil
        }
        let errors = status.lastReloadErrors
        #expect(!errors.isEmpty)
        if let line {
            #expect(errors.first?.line == line, "\(errors)")
        } else {
            #expect(errors.first?.line != nil)
        }
        #expect(try await Self.currentVersion(gateway) == before)
        #expect(Self.names(try await gateway.admin(.GET, "/registry/endpoints")) == ["user_service", "order_service"])

        // Fixing the file clears the error.
        try gateway.writeConfig(Self.seedConfig)
        _ = try await eventually("error cleared") { () -> Bool? in
            let status = try await gateway.admin(.GET, "/config/status")
            // Cleared is `null`, not a missing key.
            return try status.decode(ConfigStatus.self).lastReloadError == nil
                && status.json["last_reload_error"] is NSNull ? true : nil
        }
    }

    @Test func validateAndDiffTakeTheDocumentInTheBody() async throws {
        let gateway = try await ControlPlaneHarness.start(config: Self.seedConfig)
        defer { gateway.stop() }
        func validate(_ document: String) async throws -> ConfigValidation {
            try await gateway.admin(.POST, "/config/validate", json: document).decode(ConfigValidation.self)
        }
        #expect(try await validate(Self.seedConfig).valid)
        #expect(try await validate(Self.seedConfig + "\nproxy:\n  header_timeout: 0.5\n").valid)
        let badLimit = try await validate("proxy:\n  max_pipelined: 0\n  colour: blue\n")
        #expect(!badLimit.valid)
        #expect(Set(badLimit.errors.compactMap(\.field)) == ["proxy.max_pipelined", "proxy.colour"])
        let invalid = try await validate("endpoints:\n  - url: nope\n")
        #expect(!invalid.valid)
        #expect(Set(invalid.errors.compactMap(\.field)) == ["endpoints[0].name", "endpoints[0].url"])

        let edited =
            Self.seedConfig
            .replacingOccurrences(of: "timeout: 45", with: "timeout: 46")
            .replacingOccurrences(
                of: "  - url: \"http://127.0.0.1:9/users\"", with: "  - url: \"http://127.0.0.1:9/people\"")
            + "\n"  // keeps the document valid
        let diff = try await gateway.admin(.POST, "/config/diff", json: edited).decode(ConfigDiff.self)
        #expect(diff.changed.map(\.name).sorted() == ["order_service", "user_service"])
        #expect(diff.added.isEmpty)
        #expect(diff.removed.isEmpty)
        #expect(!diff.proxyChanged)
        let limits = try await gateway.admin(
            .POST, "/config/diff", json: Self.seedConfig + "\nproxy:\n  max_headers: 10\n"
        ).decode(ConfigDiff.self)
        #expect(limits.proxyChanged)
        #expect(!limits.policiesChanged)
        #expect(limits.changed.isEmpty)
        // Nothing was applied.
        #expect(try await Self.timeout(of: "order_service", gateway) == 45)
    }
}
