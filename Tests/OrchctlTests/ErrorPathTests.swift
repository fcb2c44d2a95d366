import Foundation
import TestSupport
import Testing

/// Every failure is one line on stderr that says what happened and what to do, with the
/// documented exit code: 1 refused by the server, 2 usage, 3 unreachable.
@Suite(.endToEnd) struct ErrorPathTests {
    @Test func unreachableControlPlaneExits3AndNamesTheURL() async throws {
        let url = "http://127.0.0.1:\(try OrchctlFixtures.closedPort())"
        let started = Date()
        let result = try await OrchctlRunner.run(["status", "--admin-url", url, "--token", "x"])
        #expect(result.status == 3, "\(result)")
        #expect(result.stdout.isEmpty)
        #expect(
            result.stderr
                == "orchctl: cannot reach the control plane at \(url): connection refused"
                + " (is orch-control-plane running? set --admin-url or ORCH_ADMIN_URL)\n", "\(result)")
        // A refused connection is reported at once, not after retrying until the connect timeout.
        #expect(Date().timeIntervalSince(started) < 10)

        let fromEnvironment = try await OrchctlRunner.run(
            ["endpoint", "list"], environment: ["ORCH_ADMIN_URL": url, "ORCH_ADMIN_TOKEN": "x"])
        #expect(fromEnvironment.status == 3, "\(fromEnvironment)")
        #expect(fromEnvironment.stderr.contains("at \(url):"))
    }

    @Test func wrongOrMissingTokenExits1AndSaysWhereTheTokenComesFrom() async throws {
        let gateway = try await ControlPlaneHarness.start(config: nil)
        defer { gateway.stop() }

        let wrong = try await OrchctlRunner.run([
            "endpoint", "list", "--admin-url", gateway.adminURL, "--token", "nope",
        ])
        #expect(wrong.status == 1, "\(wrong)")
        #expect(wrong.stderr.hasPrefix("orchctl: the control plane at \(gateway.adminURL) answered 401"), "\(wrong)")
        #expect(wrong.stderr.contains("the token given with --token was refused"))
        #expect(wrong.stderr.contains("--token TOKEN, set ORCH_ADMIN_TOKEN"))
        #expect(wrong.stderr.contains("data/admin.token"))
        #expect(wrong.stderr.split(separator: "\n").count == 1)

        let wrongEnvironment = try await OrchctlRunner.run(
            ["endpoint", "list", "--admin-url", gateway.adminURL], environment: ["ORCH_ADMIN_TOKEN": "nope"])
        #expect(wrongEnvironment.status == 1)
        #expect(wrongEnvironment.stderr.contains("the token in ORCH_ADMIN_TOKEN was refused"), "\(wrongEnvironment)")

        // Run elsewhere with no token: the default file is looked for and named.
        let missing = try await OrchctlRunner.run(["endpoint", "list", "--admin-url", gateway.adminURL])
        #expect(missing.status == 1, "\(missing)")
        #expect(missing.stderr.contains("no token was sent (data/admin.token not found)"), "\(missing)")
    }

    @Test func tokenIsReadFromTheDataDirectory() async throws {
        let gateway = try await ControlPlaneHarness.start(config: OrchctlFixtures.config)
        defer { gateway.stop() }
        // The harness's directory holds data/admin.token, as a gateway's working directory does.
        let fromDefault = try await OrchctlRunner.run(
            ["endpoint", "list", "--admin-url", gateway.adminURL], directory: gateway.directory.url)
        #expect(fromDefault.status == 0, "\(fromDefault)")
        #expect(fromDefault.stdout.contains("order_service"))

        let fromOption = try await OrchctlRunner.run([
            "endpoint", "list", "--admin-url", gateway.adminURL, "--data-dir", gateway.dataDir.path,
        ])
        #expect(fromOption.status == 0, "\(fromOption)")

        let fromEnvironment = try await OrchctlRunner.run(
            ["endpoint", "list", "--admin-url", gateway.adminURL], environment: ["ORCH_DATA_DIR": gateway.dataDir.path])
        #expect(fromEnvironment.status == 0, "\(fromEnvironment)")
    }

    @Test func serverRefusalsExit1WithTheServersReason() async throws {
        let gateway = try await ControlPlaneHarness.start(config: OrchctlFixtures.config)
        defer { gateway.stop() }
        let version = try await OrchctlFixtures.currentVersion(gateway)

        let notFound = try await gateway.orchctl("endpoint", "get", "ghost")
        #expect(notFound.status == 1)
        #expect(
            notFound.stderr
                == "orchctl: could not get endpoint 'ghost' (404): Endpoint not found: ghost;"
                + " 'orchctl endpoint list' shows the endpoints there are\n", "\(notFound)")
        let removeMissing = try await gateway.orchctl("endpoint", "disable", "ghost")
        #expect(removeMissing.status == 1)
        #expect(removeMissing.stderr.contains("(404): Endpoint not found: ghost"), "\(removeMissing)")

        // File-owned: the server names the file.
        let fileOwned = try await gateway.orchctl("endpoint", "disable", "user_service")
        #expect(fileOwned.status == 1, "\(fileOwned)")
        #expect(
            fileOwned.stderr
                == "orchctl: could not disable endpoint 'user_service' (409): Endpoint 'user_service' is defined in"
                + " \(gateway.configURL.path); change it there (the file is watched)\n", "\(fileOwned)")
        for command in [["enable"], ["update", "--timeout", "5"], ["remove"]] {
            let refused = try await OrchctlRunner.run(
                ["endpoint", command[0], "user_service"] + command.dropFirst()
                    + ["--admin-url", gateway.adminURL, "--token", gateway.token])
            #expect(refused.status == 1, "\(command): \(refused)")
            #expect(refused.stderr.contains("(409): Endpoint 'user_service' is defined in \(gateway.configURL.path)"))
        }

        let invalid = try await gateway.orchctl(
            "endpoint", "add", "bad", "--url", "ftp://127.0.0.1/x", "--timeout", "900", "--method", "FETCH")
        #expect(invalid.status == 1, "\(invalid)")
        #expect(invalid.stderr.hasPrefix("orchctl: could not add endpoint 'bad' (422): "), "\(invalid)")
        #expect(invalid.stderr.contains("url: scheme must be http or https, not 'ftp'"), "\(invalid)")
        #expect(invalid.stderr.contains("timeout: must be between 1 and 300, not 900"), "\(invalid)")
        #expect(invalid.stderr.contains("methods: 'FETCH' is not one of"), "\(invalid)")
        #expect(invalid.stderr.split(separator: "\n").count == 1)

        let conflict = try await gateway.orchctl("endpoint", "add", "billing2", "--url", "http://127.0.0.1:9/billing")
        #expect(conflict.status == 1, "\(conflict)")
        #expect(conflict.stderr.contains("(400): URL 'http://127.0.0.1:9/billing' already registered"), "\(conflict)")

        let noSnapshot = try await gateway.orchctl("snapshots", "show", "999")
        #expect(noSnapshot.status == 1)
        #expect(noSnapshot.stderr.contains("(404): Snapshot not found: 999; 'orchctl snapshots list'"), "\(noSnapshot)")
        #expect(try await OrchctlFixtures.currentVersion(gateway) == version, "nothing above changed anything")
    }

    @Test func usageErrorsExit2() async throws {
        let cases: [(arguments: [String], message: String)] = [
            (["endpoint", "frobnicate"], "Unexpected argument 'frobnicate'"),
            (["endpoint", "add", "x"], "give either --url or one or more --upstream"),
            (["endpoint", "update", "x"], "nothing to change"),
            (["endpoint", "update", "x", "--version", "v1", "--clear-version"], "contradict"),
            (["endpoint", "add", "x", "--url", "http://h", "--timeout", "soon"], "--timeout"),
            (["status", "--output", "xml"], "--output"),
            (["snapshots", "rollback", "0"], "VERSION must be 1 or more"),
            (["snapshots", "list", "--limit", "0"], "--limit must be between 1 and 1000"),
            (
                ["endpoint", "list", "--status", "sleepy"],
                "--status must be one of active, inactive, disabled, unhealthy"
            ),
            (["nonsense"], "Unexpected argument 'nonsense'"),
            (["status", "--admin-url", "localhost:8001"], "'localhost:8001' is not an http(s) URL"),
            (["config", "validate", "/nonexistent/config.yaml"], "cannot read /nonexistent/config.yaml: no such file"),
        ]
        for (arguments, message) in cases {
            // Global options where a valid command takes them; port 1 refuses connections.
            let global =
                ["--token", "x"] + (arguments.contains("--admin-url") ? [] : ["--admin-url", "http://127.0.0.1:1"])
            let result = try await OrchctlRunner.run(arguments + global)
            #expect(result.status == 2, "\(arguments): \(result)")
            #expect(result.stderr.contains(message), "\(arguments): \(result)")
            #expect(result.stdout.isEmpty, "\(arguments): \(result)")
        }
    }

    @Test func helpDocumentsExitCodesTokenAndCompletion() async throws {
        let help = try await OrchctlRunner.run(["--help"])
        #expect(help.status == 0)
        for text in [
            "0  ok", "1  the control plane reported a failure", "2  usage error",
            "3  the control plane could not be reached",
            "ORCH_ADMIN_TOKEN", "data/admin.token", "ORCH_ADMIN_URL", "--generate-completion-script bash|zsh|fish",
            "NO_COLOR",
        ] {
            #expect(help.stdout.contains(text), "missing '\(text)' in:\n\(help.stdout)")
        }
        for shell in ["bash", "zsh", "fish"] {
            let script = try await OrchctlRunner.run(["--generate-completion-script", shell])
            #expect(script.status == 0, "\(shell): \(script)")
            #expect(script.stdout.contains("snapshots") && script.stdout.contains("endpoint"), "\(shell)")
        }
        let version = try await OrchctlRunner.run(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout == "0.1.0\n")
    }
}
