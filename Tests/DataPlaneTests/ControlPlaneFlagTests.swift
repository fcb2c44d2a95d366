import ArgumentParser
import DataPlane
import Foundation
import TestSupport
import Testing

/// `orch-data-plane --control-plane`'s flags: what they need, and the message a mistake gets.
@Suite struct ControlPlaneFlagTests {
    /// The usage message `parse` gives `arguments`, or `nil` when they are accepted.
    static func message(_ arguments: [String]) -> String? {
        do {
            _ = try DataPlaneCommand.parse(arguments)
            return nil
        } catch {
            return DataPlaneCommand.message(for: error)
        }
    }

    @Test func theDataPlaneNeedsItsCertificateKeyAndCAWithControlPlaneAddresses() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        try directory.write("x", to: "file.pem")
        let file = directory.file("file.pem").path
        let files = ["--cert", file, "--key", file, "--ca", file]
        #expect(Self.message(["--control-plane", "10.0.0.5:8002,cp2:8002"] + files) == nil)
        #expect(
            Self.message(["--control-plane", "10.0.0.5:8002", "--cert", file, "--key", file])?
                .contains("needs --ca") == true)
        for bad in ["10.0.0.5", "10.0.0.5:0", "10.0.0.5:8002,", "[::1:8002"] {
            #expect(Self.message(["--control-plane", bad] + files) != nil, "\(bad)")
        }
        let many = (1...65).map { "10.0.0.\($0):8002" }.joined(separator: ",")
        #expect(Self.message(["--control-plane", many] + files)?.contains("1 to 64") == true)
        #expect(Self.message(["--heartbeat-interval", "0.5"])?.contains("heartbeat") == true)
    }
}
