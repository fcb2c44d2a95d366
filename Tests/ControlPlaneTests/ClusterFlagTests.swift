import ArgumentParser
import Foundation
import Shared
import TestSupport
import Testing

@testable import ControlPlane

/// The cluster flags of both commands: what each needs, and the message a mistake gets.
@Suite struct ClusterFlagTests {
    /// The usage message `parse` gives `arguments`, or `nil` when they are accepted.
    static func message<Command: ParsableCommand>(_ command: Command.Type, _ arguments: [String]) -> String? {
        do {
            _ = try command.parse(arguments)
            return nil
        } catch {
            return command.message(for: error)
        }
    }

    @Test func theStoreAndLeaseFlagsAreParsedAndMistakesNamed() throws {
        let postgres = "postgres://orch:secret@db.internal:5433/orchestrator?sslmode=require"
        let command = try ControlPlaneCommand.parse(["--database", postgres, "--lease-ttl", "4.5"])
        guard case .postgres(let location) = try command.resolvedDatabase() else {
            Issue.record("not a PostgreSQL store")
            return
        }
        #expect(location.host == "db.internal" && location.port == 5433 && location.database == "orchestrator")
        #expect(try command.resolvedLeaseTTL() == .milliseconds(4500))
        #expect(
            try ControlPlaneCommand.parse(["--database", "sqlite:/tmp/x.sqlite"]).resolvedDatabase()
                == .sqlite(path: "/tmp/x.sqlite"))
        #expect(try ControlPlaneCommand.parse([]).resolvedDatabase() == nil)
        #expect(try ControlPlaneCommand.parse([]).resolvedLeaseTTL() == .seconds(10))

        let wrong = Self.message(ControlPlaneCommand.self, ["--database", "mysql://x@y/z"])
        #expect(wrong?.contains("--database") == true && wrong?.contains("postgres://") == true, "\(wrong ?? "")")
        // The password is never echoed back.
        let noHost = Self.message(ControlPlaneCommand.self, ["--database", "postgres://orch:hunter2@/db"])
        #expect(noHost?.contains("no host") == true && noHost?.contains("hunter2") == false, "\(noHost ?? "")")
        #expect(Self.message(ControlPlaneCommand.self, ["--lease-ttl", "0.5"])?.contains("--lease-ttl") == true)
        let directory = try TestDirectory()
        defer { directory.remove() }
        try directory.write("x", to: "backup.sqlite")
        let restore = Self.message(
            ControlPlaneCommand.self, ["--database", postgres, "--restore", directory.file("backup.sqlite").path])
        #expect(restore?.contains("pg_restore") == true, "\(restore ?? "")")
    }

    @Test func theControlPlaneNeedsAllThreeFilesWithAClusterAddress() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        try directory.write("x", to: "file.pem")
        let file = directory.file("file.pem").path
        let full = [
            "--cluster-address", "127.0.0.1:0", "--cluster-cert", file, "--cluster-key", file, "--cluster-ca", file,
        ]
        #expect(Self.message(ControlPlaneCommand.self, full) == nil)
        #expect(Self.message(ControlPlaneCommand.self, Array(full.dropLast(2)))?.contains("needs --cluster-ca") == true)
        let missing = full.dropLast() + [directory.file("nowhere.pem").path]
        #expect(Self.message(ControlPlaneCommand.self, Array(missing))?.contains("is not a readable file") == true)
        #expect(
            Self.message(ControlPlaneCommand.self, ["--cluster-address", "nowhere"])?.contains("--cluster-address")
                == true)
        #expect(Self.message(ControlPlaneCommand.self, ["--node-name", "a\u{1}b"])?.contains("--node-name") == true)
        let settings = try #require(
            try ControlPlaneCommand.parse(full + ["--cluster-allowed-names", " a, ,b "]).clusterSettings())
        #expect(settings.allowedNames == ["a", "b"] && settings.address == HostPort(host: "127.0.0.1", port: 0))
        #expect(try ControlPlaneCommand.parse([]).clusterSettings() == nil)
        #expect(try ControlPlaneCommand.parse(["--node-name", "cp1"]).resolvedNodeName(adminPort: 8001) == "cp1")
        #expect(try ControlPlaneCommand.parse([]).resolvedNodeName(adminPort: 8001).hasSuffix(":8001"))
    }
}
