import AdminAPI
import Foundation
import TestSupport
import Testing

/// `orchctl backup` under write load, `orch-control-plane --restore`, and `orchctl endpoint
/// export`/`import` between gateways.
@Suite(.endToEnd, .serialized) struct BackupRestoreTests {
    static let config = """
        health_check:
          enabled: false
        endpoints:
          - name: files
            url: http://127.0.0.1:9/files
        """

    /// Names registered through the admin API and answered 2xx, in order.
    actor Acknowledged {
        var names: [String] = []
        var stopped = false
        func add(_ name: String) { names.append(name) }
        func stop() { stopped = true }
    }

    @Test func aBackupTakenUnderWriteLoadRestoresEveryAcknowledgedWrite() async throws {
        let source = try await ControlPlaneHarness.start(config: Self.config)
        defer { source.stop() }
        let acknowledged = Acknowledged()
        let writer = Task {
            var index = 0
            while await !acknowledged.stopped && index < 2000 {
                let name = "api-\(index)"
                let response = try await source.admin(
                    .POST, "/registry/endpoints",
                    json: #"{"name": "\#(name)", "url": "http://127.0.0.1:9/\#(name)", "timeout": 7}"#)
                if response.status == 200 { await acknowledged.add(name) }
                index += 1
            }
        }
        defer { writer.cancel() }
        _ = try await eventually("30 acknowledged writes", timeout: 60) { () -> Bool? in
            await acknowledged.names.count >= 30 ? true : nil
        }
        let beforeBackup = Set(await acknowledged.names)
        let backup = source.directory.file("gateway.backup").path
        let result = try await source.orchctl("backup", backup)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.hasPrefix("Backup written to \(backup) ("), "\(result)")
        _ = try await eventually("more writes after the backup", timeout: 60) { () -> Bool? in
            await acknowledged.names.count >= beforeBackup.count + 10 ? true : nil
        }
        await acknowledged.stop()
        try await writer.value
        let everything = Set(await acknowledged.names)

        let header = try #require(FileHandle(forReadingAtPath: backup)).readData(ofLength: 16)
        #expect(header == Data("SQLite format 3\0".utf8))
        let mode = try FileManager.default.attributesOfItem(atPath: backup)[.posixPermissions] as? Int
        #expect(mode.map { $0 & 0o777 } == 0o600)

        // A new control plane on a new data directory, started from the backup.
        let restored = try await ControlPlaneHarness.start(config: Self.config, arguments: ["--restore", backup])
        defer { restored.stop() }
        let endpoints = try await restored.admin(.GET, "/registry/endpoints?limit=1000").decode(EndpointList.self)
            .endpoints
        let apiNames = Set(endpoints.filter { $0.owner == "api" }.map(\.name))
        #expect(beforeBackup.isSubset(of: apiNames), "missing: \(beforeBackup.subtracting(apiNames).sorted())")
        #expect(apiNames.isSubset(of: everything.union(Set((0..<2000).map { "api-\($0)" }))))
        #expect(endpoints.contains { $0.name == "files" && $0.owner == "file" })
        let snapshots = try await restored.admin(.GET, "/snapshots?limit=5").decode(SnapshotListing.self)
        let causes = snapshots.snapshots.map(\.cause)
        #expect(causes.contains("restore from gateway.backup"), "\(causes)")
    }

    @Test func exportThenImportGivesAnotherGatewayTheSameAPIOwnedEndpoints() async throws {
        let source = try await ControlPlaneHarness.start(config: Self.config)
        defer { source.stop() }
        for (name, body) in [
            ("orders", #""methods": ["GET", "POST"], "version": "1.0", "timeout": 12"#),
            ("users", #""health_check_path": "/healthz", "circuit_breaker": {"failure_threshold": 3}"#),
            ("legacy", #""disabled": true"#),
        ] {
            let response = try await source.admin(
                .POST, "/registry/endpoints",
                json: #"{"name": "\#(name)", "url": "http://127.0.0.1:9/\#(name)", \#(body)}"#)
            #expect(response.status == 200, "\(response.text)")
        }
        let file = source.directory.file("endpoints.yaml").path
        let exported = try await source.orchctl("endpoint", "export", file)
        #expect(exported.status == 0, "\(exported)")
        #expect(exported.stderr == "Exported 3 endpoints to \(file)\n", "\(exported)")
        let document = try String(contentsOfFile: file, encoding: .utf8)
        #expect(document.contains("- name: orders"), "\(document)")
        #expect(!document.contains("name: files"), "file-owned endpoints are not exported")

        let target = try await ControlPlaneHarness.start(
            config: Self.config,
            directory: try TestDirectory())
        defer { target.stop() }
        #expect(
            try await target.admin(
                .POST, "/registry/endpoints", json: #"{"name": "stale", "url": "http://127.0.0.1:9/stale"}"#
            )
            .status == 200)
        let dry = try await target.orchctl("endpoint", "import", file, "--prune", "--dry-run")
        #expect(dry.status == 0, "\(dry)")
        #expect(dry.stdout.contains("- stale"), "\(dry)")
        #expect(try await target.admin(.GET, "/registry/endpoints/stale").status == 200, "a dry run changed nothing")

        let imported = try await target.orchctl("endpoint", "import", file, "--prune")
        #expect(imported.status == 0, "\(imported)")
        /// The API-owned endpoints by name, without what is runtime state of one gateway.
        func apiEndpoints(_ gateway: ControlPlaneHarness) async throws -> [String: EndpointDetails] {
            let list = try await gateway.admin(.GET, "/registry/endpoints").decode(EndpointList.self).endpoints
            var result: [String: EndpointDetails] = [:]
            for endpoint in list where endpoint.owner == "api" {
                var config = endpoint
                config.registrationTime = ""
                config.lastHealthCheck = nil
                config.health = ""
                config.status = ""
                config.consecutiveFailures = 0
                result[endpoint.name] = config
            }
            return result
        }
        let want = try await apiEndpoints(source)
        let got = try await apiEndpoints(target)
        #expect(Set(got.keys) == ["orders", "users", "legacy"])
        for (name, config) in want {
            #expect(config == got[name], "\(name): \(config) vs \(got[name].map { "\($0)" } ?? "nothing")")
        }
        let again = try await target.orchctl("endpoint", "import", file)
        #expect(again.stdout.contains("No changes."), "\(again)")
        let refused = try await target.orchctl(
            "endpoint", "import", "-", stdin: "endpoints:\n  - name: files\n    url: http://127.0.0.1:9/other\n")
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.stderr.contains("(409)"), "\(refused)")
    }

    @Test func aFileThatIsNotABackupIsRefusedAtStart() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        try directory.write("not a database", to: "bogus.sqlite")
        let process = try ChildProcess(
            TestBinaries.url("orch-control-plane"),
            arguments: [
                "--data-dir", directory.file("data").path, "--config", directory.file("none.yaml").path,
                "--admin-address", "127.0.0.1:0", "--replicas", "0", "--restore", directory.file("bogus.sqlite").path,
            ],
            environment: [:], directory: directory.url, name: "control-plane")
        defer { process.stop() }
        #expect(process.waitForExit(timeout: 30) == 1)
        #expect(process.errorOutput.contains("cannot restore from"), "\(process.logTail)")
    }
}
