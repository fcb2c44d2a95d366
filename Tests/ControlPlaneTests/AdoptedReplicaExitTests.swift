import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// An adopted replica is not the restarted control plane's child; its exit is still noticed.
@Suite(.endToEnd) struct AdoptedReplicaExitTests {
    @Test func anAdoptedReplicaThatDiesIsReplacedInItsSlot() async throws {
        try await withRolloutGateway(replicas: 1) { gateway in
            let control = gateway.control
            let before = try await gateway.readyPids(1)
            control.kill9()
            try await control.restart()
            #expect(try await gateway.readyPids(1) == before)
            // Killed before it handed the proxy socket back, the only replica would take the socket
            // with it and leave nothing to start a replacement on.
            _ = try await eventually("the proxy socket handed back", timeout: 60) {
                control.process.errorOutput.contains("proxy socket received from an adopted replica") ? true : nil
            }

            kill(before[0], SIGKILL)
            let after = try await eventually("a replacement replica", timeout: 60) { () -> [Int32]? in
                let pids = try await gateway.readyPids(1)
                return pids == before ? nil : pids
            }
            #expect(after.count == 1 && after[0] != before[0])
        }
    }
}
