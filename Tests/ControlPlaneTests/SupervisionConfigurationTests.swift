import Foundation
import Testing

@testable import ControlPlane

@Suite struct SupervisionConfigurationTests {
    let configuration = ReplicaSupervisor.Configuration(
        executable: URL(fileURLWithPath: "/opt/orch/orch-data-plane"), replicaCount: 2, listenSocket: 7,
        controlSocketPath: "/var/lib/orch/control.sock", dataDirectory: URL(fileURLWithPath: "/var/lib/orch"),
        drainTimeout: .milliseconds(2500))

    @Test func replicasGetTheControlSocketTheSharedCacheAndTheDrainTimeout() {
        #expect(
            configuration.arguments == [
                "--control-socket", "/var/lib/orch/control.sock", "--cache-dir", "/var/lib/orch/cache", "--supervised",
                "--log-level", "info", "--drain-timeout", "2.5",
            ])
    }

    @Test func theEnvironmentCarriesOneInheritedSocketItsSlotAndNoAddressOrIdentityOfItsOwn() {
        let environment = configuration.environment(
            from: [
                "PATH": "/usr/bin", "ORCH_LOG_LEVEL": "debug", "ORCH_LISTEN": "0.0.0.0:9000",
                "ORCH_REPLICA_ID": "fixed", "LISTEN_FDS": "4", "LISTEN_PID": "1", "LISTEN_FDNAMES": "a:b:c:d",
                "ORCH_REPLICA_SLOT": "7",
            ], slot: 2)
        #expect(
            environment == [
                "PATH": "/usr/bin", "ORCH_LOG_LEVEL": "debug", "LISTEN_FDS": "1", "LISTEN_FDNAMES": "proxy",
                "ORCH_REPLICA_SLOT": "2",
            ])
    }

    @Test func replicasGetTheirShareOfEventLoopsUnlessTheEnvironmentNamesACount() {
        let parent = ["PATH": "/usr/bin"]
        #expect(configuration.environment(from: parent, slot: 1, eventLoops: 3)["ORCH_EVENT_LOOPS"] == "3")
        #expect(configuration.environment(from: parent, slot: 1)["ORCH_EVENT_LOOPS"] == nil)
        for given in ["1", "4", "auto"] {
            let environment = configuration.environment(
                from: parent.merging(["ORCH_EVENT_LOOPS": given]) { $1 }, slot: 1, eventLoops: 3)
            #expect(environment["ORCH_EVENT_LOOPS"] == given)
        }
        let empty = configuration.environment(from: ["ORCH_EVENT_LOOPS": ""], slot: 1, eventLoops: 2)
        #expect(empty["ORCH_EVENT_LOOPS"] == "2")
    }

    @Test func wholeSecondsArePrintedWithoutAFraction() {
        #expect(Duration.seconds(30).secondsText == "30")
        #expect(Duration.milliseconds(100).secondsText == "0.1")
    }
}
