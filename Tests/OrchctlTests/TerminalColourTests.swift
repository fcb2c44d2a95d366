import Foundation
import TestSupport
import Testing

/// Colour only on a terminal and only without `NO_COLOR`: `orchctl` runs in a pseudo-terminal
/// made by util-linux `script`.
@Suite(.endToEnd, .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
struct TerminalColourTests {
    static let escape = "\u{1B}["

    /// Runs `orchctl endpoint list` on a pseudo-terminal, with `NO_COLOR` set or removed whatever
    /// the test runner's environment says.
    func runInTerminal(_ gateway: ControlPlaneHarness, noColor: String?) async throws -> String {
        let command = [
            "env", noColor.map { "NO_COLOR=\($0)" } ?? "-u NO_COLOR", TestBinaries.url("orchctl").path, "endpoint",
            "list",
            "--admin-url", gateway.adminURL,
        ].joined(separator: " ")
        let process = try ChildProcess(
            URL(fileURLWithPath: "/usr/bin/script"), arguments: ["-qec", command, "/dev/null"],
            environment: ["ORCH_ADMIN_TOKEN": gateway.token],
            directory: gateway.directory.url, name: "script")
        defer { process.stop() }
        _ = try await eventually("orchctl in a terminal exits", timeout: 30) { process.isRunning ? nil : true }
        #expect(process.process.terminationStatus == 0, "\(process.logTail)")
        return process.output
    }

    @Test func colourOnATerminalUnlessNoColorIsSetAndNotEmpty() async throws {
        let gateway = try await ControlPlaneHarness.start(config: OrchctlFixtures.config)
        defer { gateway.stop() }

        let coloured = try await runInTerminal(gateway, noColor: nil)
        #expect(coloured.contains(Self.escape + "32mactive" + Self.escape + "0m"), "\(coloured)")

        // An empty NO_COLOR does not count (https://no-color.org: only a non-empty value).
        let empty = try await runInTerminal(gateway, noColor: "")
        #expect(empty.contains(Self.escape + "32mactive" + Self.escape + "0m"), "\(empty)")

        let plain = try await runInTerminal(gateway, noColor: "1")
        #expect(plain.contains("order_service"), "\(plain)")
        #expect(!plain.contains(Self.escape), "\(plain)")

        // Not a terminal (a file): no colour either.
        let piped = try await gateway.orchctl("endpoint", "list")
        #expect(piped.stdout.contains("order_service") && !piped.stdout.contains(Self.escape))
    }
}
