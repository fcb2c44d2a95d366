import AdminAPI
import Foundation
import TestSupport
import Testing

/// The status page in headless Chromium (selenium), against a control plane with two replicas.
@Suite(.endToEnd, .serialized) struct StatusPageBrowserTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Browser/status_page.py")

    /// Chromium, chromedriver and selenium are all there (or the run demands them anyway).
    static let browserAvailable: Bool = {
        if ProcessInfo.processInfo.environment["ORCH_REQUIRE_BROWSER"] == "1" { return true }
        let tools = ["chromium", "chromedriver", "python3"].allSatisfy { executable($0) != nil }
        return tools && run(["python3", "-c", "import selenium"]) == 0
    }()

    static func executable(_ name: String) -> String? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
        return paths.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func run(_ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }

    @Test(
        .enabled(
            if: browserAvailable,
            "chromium, chromium-driver or python3-selenium missing (ORCH_REQUIRE_BROWSER=1 makes this a failure)"),
        // A hang catcher, not a timing assertion: it counts the wait for an end-to-end slot too.
        .timeLimit(.minutes(30)))
    func statusPageShowsEndpointsAndReplicas() async throws {
        let gateway = try await ControlPlaneHarness.start(config: StatusPageAccessTests.config, replicas: 2)
        defer { gateway.stop() }
        let replicaIds = try await eventually("two replicas connected", timeout: 60) { () -> [String]? in
            let listing = try await gateway.admin(.GET, "/dataplanes").decode(DataPlaneListing.self)
            let connected = listing.dataplanes.filter { $0.connected && !$0.behind }.map(\.replicaId)
            return connected.count == 2 ? connected : nil
        }

        let screenshot = gateway.directory.file("status-page.png")
        let browser = try ChildProcess(
            URL(fileURLWithPath: "/usr/bin/env"),
            arguments: [
                "python3", Self.script.path, gateway.adminURL, gateway.token, screenshot.path, "orders", "billing",
            ]
                + replicaIds,
            directory: gateway.directory.url, name: "browser")
        defer { browser.stop() }
        let status = browser.waitForExit(timeout: 150)
        let errors = (try? String(contentsOf: browser.stderrURL, encoding: .utf8)) ?? ""
        #expect(status == 0, "browser script failed: \(errors)")
        let pageText = (try? String(contentsOf: browser.stdoutURL, encoding: .utf8)) ?? ""
        for text in ["orders", "billing", "Snapshot version"] + replicaIds { #expect(pageText.contains(text)) }
        let picture = try Data(contentsOf: screenshot)
        #expect(picture.starts(with: [0x89, 0x50, 0x4E, 0x47]), "the screenshot is a PNG")
        if let destination = ProcessInfo.processInfo.environment["ORCH_STATUS_SCREENSHOT"] {
            try? FileManager.default.removeItem(atPath: destination)
            try picture.write(to: URL(fileURLWithPath: destination))
        }
    }
}
