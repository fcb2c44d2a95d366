import AdminAPI
import Foundation
import TestSupport
import Testing

/// `orchctl config validate|diff|reload` with real files.
@Suite(.endToEnd) struct ConfigCommandTests {
    @Test func diffOfAnEditedCopyListsExactlyTheChangedEndpoints() async throws {
        let gateway = try await ControlPlaneHarness.start(config: OrchctlFixtures.config)
        defer { gateway.stop() }
        let versionBefore = try await OrchctlFixtures.currentVersion(gateway)

        // Edit a copy: change order_service's timeout and URL, remove billing, add audit.
        let edited = OrchctlFixtures.config
            .replacingOccurrences(of: "timeout: 45", with: "timeout: 50")
            .replacingOccurrences(of: "9/orders", with: "9/orders-v2")
            .replacingOccurrences(
                of: "  - name: billing\n    url: \"http://127.0.0.1:9/billing\"\n",
                with: "  - name: audit\n    url: \"http://127.0.0.1:9/audit\"\n")
        try gateway.directory.write(edited, to: "edited.yaml")
        let copy = gateway.directory.file("edited.yaml").path

        let diff = try await gateway.orchctl("config", "diff", copy)
        #expect(diff.status == 0, "\(diff)")
        #expect(
            diff.lines == [
                "+ audit  (added)", "~ order_service  (changed: url, timeout)", "- billing  (removed)",
                "1 unchanged: user_service",
            ], "\(diff)")

        let json = try await gateway.orchctl("config", "diff", copy, "--output", "json").decode(ConfigDiff.self)
        #expect(json.added == ["audit"])
        #expect(json.removed == ["billing"])
        #expect(json.unchanged == ["user_service"])
        #expect(json.changed == [ConfigChange(name: "order_service", fields: ["url", "timeout"])])

        let same = try await gateway.orchctl("config", "diff", gateway.configURL.path)
        #expect(same.lines == ["No changes.", "3 unchanged: user_service, order_service, billing"], "\(same)")

        try gateway.directory.write(OrchctlFixtures.config + "\nproxy:\n  idle_timeout: 5\n", to: "limits.yaml")
        let limits = try await gateway.orchctl("config", "diff", gateway.directory.file("limits.yaml").path)
        #expect(
            limits.lines == ["~ proxy limits", "3 unchanged: user_service, order_service, billing"], "\(limits)")

        // Nothing was applied.
        #expect(try await OrchctlFixtures.currentVersion(gateway) == versionBefore)
        #expect(try await gateway.admin(.GET, "/registry/endpoints/billing").status == 200)
    }

    @Test func diffOfAnInvalidFileReportsFieldsAndLines() async throws {
        let gateway = try await ControlPlaneHarness.start(config: OrchctlFixtures.config)
        defer { gateway.stop() }
        try gateway.directory.write("endpoints:\n  - name: x\n    url: nowhere\n", to: "bad.yaml")
        let result = try await gateway.orchctl("config", "diff", gateway.directory.file("bad.yaml").path)
        #expect(result.status == 1, "\(result)")
        #expect(
            result.stderr.contains("(422): endpoints[0].url (line 3): must be an absolute http or https URL"),
            "\(result)")
    }

    @Test func validatePrintsEveryErrorWithItsLine() async throws {
        let gateway = try await ControlPlaneHarness.start(config: nil)
        defer { gateway.stop() }
        try gateway.directory.write(OrchctlFixtures.config, to: "good.yaml")
        let good = try await gateway.orchctl("config", "validate", gateway.directory.file("good.yaml").path)
        #expect(good.status == 0, "\(good)")
        #expect(good.stdout == "\(gateway.directory.file("good.yaml").path): valid (3 endpoints)\n")
        try gateway.directory.write("endpoints:\n  - name: one\n    url: http://127.0.0.1:9/one\n", to: "one.yaml")
        let one = try await gateway.orchctl("config", "validate", gateway.directory.file("one.yaml").path)
        #expect(one.stdout == "\(gateway.directory.file("one.yaml").path): valid (1 endpoint)\n", "\(one)")

        let bad = """
            endpoints:
              - name: a
                url: "http://127.0.0.1:9/a"
                timeout: 0
              - name: b
                url: "ftp://x"
                colour: blue
            """
        try gateway.directory.write(bad, to: "bad.yaml")
        let path = gateway.directory.file("bad.yaml").path
        let result = try await gateway.orchctl("config", "validate", path)
        #expect(result.status == 1, "\(result)")
        #expect(
            Set(result.lines) == [
                "\(path):4: endpoints[0].timeout: must be between 1 and 300, not 0",
                "\(path):6: endpoints[1].url: scheme must be http or https, not 'ftp'",
                "\(path):7: endpoints[1].colour: unknown key (allowed: auth_type, circuit_breaker, disabled,"
                    + " health_check, health_check_path, load_balancing, methods, name, rate_limit, retry,"
                    + " slow_start, timeout, tunnel_idle_timeout, upstream_limits, upstreams, url, version)",
            ], "\(result)")
        #expect(result.stderr == "orchctl: \(path) is not valid: 3 errors\n")

        let fromStdin = try await gateway.orchctl("config", "validate", "-", stdin: "endpoints: 5\n")
        #expect(fromStdin.status == 1, "\(fromStdin)")
        #expect(fromStdin.stdout == "<stdin>:1: endpoints: must be a list, not an integer\n", "\(fromStdin)")
    }

    @Test func reloadAppliesTheFile() async throws {
        let gateway = try await ControlPlaneHarness.start(config: OrchctlFixtures.config)
        defer { gateway.stop() }
        let result = try await gateway.orchctl("config", "reload")
        #expect(result.status == 0, "\(result)")
        #expect(result.lines.first == "Configuration reloaded successfully (3 endpoints in the file)", "\(result)")

        let json = try await gateway.orchctl("config", "reload", "--output", "json").decode(ConfigReloaded.self)
        #expect(json.success == true)
        #expect(json.endpointsCount == 3)
    }
}
