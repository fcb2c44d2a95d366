import Foundation
import Shared
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The replica's side of the listener hand-over: on `send_listener` a replica serving an
/// inherited socket sends that listening descriptor over a Unix socket (`SCM_RIGHTS`).
@Suite struct ListenerHandOverTests {
    @Test func replicaSendsItsInheritedListeningSocket() async throws {
        let directory = try TestDirectory()
        let control = try await DataPlaneControlServer.start(path: directory.file("cp.sock").path)
        let receiver = try ListenerReceiver(path: directory.file("h.sock").path)
        defer { receiver.close() }
        let replica = try DataPlaneInheritedSocket.start(
            cachedSnapshot: .testing(version: 1, []), directory: directory)
        defer { replica.stop() }
        replica.closeListenerInTest()
        let connection = try await control.accept(timeout: 60)
        guard case .hello(let hello) = try await connection.receiveSkippingReports() else {
            Issue.record("expected hello first")
            return
        }
        #expect(hello.inheritedListener == true)

        try await connection.send(.sendListener(path: receiver.path))
        let descriptor = try await receiver.receive(timeout: 30)
        defer { close(descriptor) }
        #expect(SocketFacts.isStream(descriptor))
        #expect(SocketFacts.isListening(descriptor))
        #expect(SocketFacts.localPort(descriptor) == replica.port)

        // The replica keeps serving on its copy.
        let health = try await DataPlaneRawClient.exchange(
            port: replica.port, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(health.status == 200)
        await connection.close()
        await control.stop()
    }

    @Test func replicaWithItsOwnSocketIgnoresTheRequest() async throws {
        let directory = try TestDirectory()
        let control = try await DataPlaneControlServer.start(path: directory.file("cp.sock").path)
        let receiver = try ListenerReceiver(path: directory.file("h.sock").path)
        defer { receiver.close() }
        let replica = try await DataPlaneHarness.start(
            cachedSnapshot: .testing(version: 1, []), controlSocket: directory.file("cp.sock").path)
        defer { replica.stop() }
        let connection = try await control.accept(timeout: 60)
        guard case .hello(let hello) = try await connection.receiveSkippingReports() else {
            Issue.record("expected hello first")
            return
        }
        #expect(hello.inheritedListener != true)

        try await connection.send(.sendListener(path: receiver.path))
        _ = try await eventually("the replica to log that it ignores the hand-over", timeout: 30) {
            replica.process.errorOutput.contains("binds its own socket; ignoring") ? true : nil
        }
        await connection.close()
        await control.stop()
        directory.remove()
    }
}
