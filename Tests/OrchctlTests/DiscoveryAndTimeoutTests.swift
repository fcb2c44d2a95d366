import AdminAPI
import Foundation
import TestSupport
import Testing

/// orchctl finds a control plane on other ports through `DIR/runtime.json`, gives up on one that
/// never answers after `--timeout` (10 s by default), and exits 1 when a health check fails.
@Suite(.endToEnd, .serialized) struct DiscoveryAndTimeoutTests {
    @Test func withoutAdminURLTheAddressInRuntimeJSONIsUsed() async throws {
        // The harness's control plane listens on an ephemeral port, not 8001.
        let gateway = try await ControlPlaneHarness.start(config: OrchctlFixtures.config)
        defer { gateway.stop() }
        #expect(!gateway.adminURL.hasSuffix(":8001"))

        // Run where the control plane keeps data/: both the token and the address are found.
        let here = try await OrchctlRunner.run(["endpoint", "list"], directory: gateway.directory.url)
        #expect(here.status == 0, "\(here)")
        #expect(here.stdout.contains("order_service"))

        // From elsewhere, with --data-dir (or ORCH_DATA_DIR).
        let elsewhere = try await OrchctlRunner.run(["--data-dir", gateway.dataDir.path, "status"])
        #expect(elsewhere.status == 0, "\(elsewhere)")
        #expect(elsewhere.stdout.contains(gateway.adminURL))
        let environment = try await OrchctlRunner.run(
            ["status", "--output", "json"], environment: ["ORCH_DATA_DIR": gateway.dataDir.path])
        #expect(environment.status == 0, "\(environment)")

        // --admin-url still wins over the file.
        let explicit = try await OrchctlRunner.run([
            "--data-dir", gateway.dataDir.path, "--admin-url", "http://127.0.0.1:\(try OrchctlFixtures.closedPort())",
            "status",
        ])
        #expect(explicit.status == 3, "\(explicit)")
    }

    @Test func aControlPlaneThatNeverAnswersIsGivenUpOnAfterTheTimeout() async throws {
        // A listening socket nobody accepts from: connections complete, requests get no answer.
        let listener = try SilentListener()
        defer { listener.close() }
        let url = "http://127.0.0.1:\(listener.port)"

        var started = Date()
        let short = try await OrchctlRunner.run(["--admin-url", url, "--token", "t", "status", "--timeout", "1"])
        #expect(short.status == 3, "\(short)")
        #expect(short.stderr.contains("no answer within 1s"), "\(short)")
        #expect(Date().timeIntervalSince(started) < 30)

        started = Date()
        let standard = try await OrchctlRunner.run(["--admin-url", url, "--token", "t", "endpoint", "list"])
        let elapsed = Date().timeIntervalSince(started)
        #expect(standard.status == 3, "\(standard)")
        #expect(standard.stderr.contains("no answer within 10s"), "\(standard)")
        #expect(elapsed >= 9 && elapsed < 40, "took \(elapsed)s")

        let refused = try await OrchctlRunner.run(["--admin-url", url, "--timeout", "0", "status"])
        #expect(refused.status == 2, "\(refused)")
    }

    @Test func aFailedHealthCheckExitsOneAtOnceWithOneLineReason() async throws {
        let port = try OrchctlFixtures.closedPort()
        let gateway = try await ControlPlaneHarness.start(
            config: """
                health_check:
                  interval: 3600
                  timeout: 8
                endpoints:
                  - name: down
                    url: http://127.0.0.1:\(port)/api
                """)
        defer { gateway.stop() }
        let check = try await gateway.orchctl("health", "check", "down")
        #expect(check.status == 1, "\(check)")
        #expect(check.stdout.contains("connection refused"), "\(check)")
        #expect(check.stderr == "orchctl: the probe of down failed: connection refused\n", "\(check)")

        let record = try await gateway.admin(.GET, "/health/endpoints/down").decode(TimestampedHealthRecord.self).record
        #expect(record.errorMessage == "connection refused")
        // The probe's own time: a refused connection is not retried until the 8 s timeout.
        let probeTime = try #require(record.responseTime)
        #expect(probeTime < 2, "a refused probe took \(probeTime)s")
    }
}

/// A TCP socket on 127.0.0.1 that listens but never accepts.
struct SilentListener {
    let descriptor: Int32
    let port: Int

    init() throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteUnknown) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = descriptor
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(fd, socketAddress, length) == 0 && listen(fd, 16) == 0
                    && getsockname(fd, socketAddress, &length) == 0
            }
        }
        guard bound else {
            Glibc.close(descriptor)
            throw CocoaError(.fileWriteUnknown)
        }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { Glibc.close(descriptor) }
}
