import Foundation
import Logging
import Shared
import TestSupport
import Testing

@testable import ControlPlane

/// A restarted control plane gets the proxy sockets back from an adopted replica: here the
/// replica is a test speaking the control-socket protocol, so it can hand over what it likes.
@Suite(.endToEnd) struct ListenerRecoveryTests {
    /// A control socket, a publisher, a supervisor waiting for `awaiting` sockets and a connected
    /// fake replica that said `hello` with `tls`.
    struct Setup {
        let directory: TestDirectory
        let publisher: SnapshotPublisher
        let server: Task<Void, any Error>
        let supervisor: ReplicaSupervisor
        let replica: ControlSocketClient
        static let logger = Logger(label: "listener-recovery-test")

        init(tlsAwaited: Bool, helloTLS: Bool) async throws {
            directory = try TestDirectory()
            publisher = SnapshotPublisher(logger: Self.logger)
            let socket = try await ControlSocketServer(
                path: directory.file("c.sock").path, publisher: publisher, logger: Self.logger)
            server = Task { try await socket.run() }
            supervisor = ReplicaSupervisor(
                configuration: .init(
                    executable: directory.file("none"), replicaCount: 1, listenSocket: -1,
                    controlSocketPath: directory.file("c.sock").path, dataDirectory: directory.file("data"),
                    tlsListenSocket: tlsAwaited ? -1 : nil))
            replica = try await ControlSocketClient.connect(path: directory.file("c.sock").path)
            try await replica.send(
                .hello(
                    .init(
                        replicaId: "adopted", pid: 4242, version: nil, supervised: true, inheritedListener: true,
                        inheritedTLSListener: helloTLS)))
        }

        /// Answers the first `send_listener` with `descriptors` named by `markers`.
        func answer(with descriptors: [Int32], markers: String) -> Task<String, any Error> {
            Task {
                while let received = try await replica.receive() {
                    if case .message(.sendListener(let path)) = received {
                        try DescriptorSender.send(descriptors, markers: Array(markers.utf8), to: path)
                        return path
                    }
                }
                throw ConnectionClosed()
            }
        }

        func recovery(expected: HostPort, expectedTLS: HostPort?, timeout: Duration) -> ListenerRecovery {
            ListenerRecovery(
                supervisor: supervisor, publisher: publisher, path: directory.file("l.sock").path, expected: expected,
                expectedTLS: expectedTLS, timeout: timeout, logger: Self.logger)
        }

        func stop() async {
            await replica.close()
            server.cancel()
            directory.remove()
        }
    }

    @Test func bothSocketsComeBackFromOneReplica() async throws {
        let setup = try await Setup(tlsAwaited: true, helloTLS: true)
        let plain = try ListeningSocket("127.0.0.1:0")
        defer { plain.close() }
        let tls = try ListeningSocket("127.0.0.1:0")
        defer { tls.close() }
        #expect(setup.supervisor.missingListeners == [.proxy, .proxyTLS])
        let answered = setup.answer(with: [plain.fileDescriptor, tls.fileDescriptor], markers: "LT")
        await setup.recovery(expected: plain.address, expectedTLS: tls.address, timeout: .seconds(60)).run()
        #expect(try await answered.value == setup.directory.file("l.sock").path)
        #expect(setup.supervisor.missingListeners.isEmpty)
        #expect(setup.supervisor.hasListenSocket)
        await setup.stop()
    }

    @Test func aTLSSocketNoReplicaHandsOverIsBoundAnewAtTheEnd() async throws {
        // A replica that predates TLS sends only the plaintext socket; the TLS address is free.
        let setup = try await Setup(tlsAwaited: true, helloTLS: false)
        let plain = try ListeningSocket("127.0.0.1:0")
        defer { plain.close() }
        let free = try HostPort(listening: "127.0.0.1:\(try ClosedPort().port)")
        let answered = setup.answer(with: [plain.fileDescriptor], markers: "L")
        await setup.recovery(expected: plain.address, expectedTLS: free, timeout: .seconds(3)).run()
        _ = try await answered.value
        #expect(setup.supervisor.missingListeners.isEmpty)
        await setup.stop()
    }

    @Test func aTLSSocketThisControlPlaneDoesNotWantIsClosed() async throws {
        let setup = try await Setup(tlsAwaited: false, helloTLS: true)
        let plain = try ListeningSocket("127.0.0.1:0")
        defer { plain.close() }
        let tls = try ListeningSocket("127.0.0.1:0")
        defer { tls.close() }
        let answered = setup.answer(with: [plain.fileDescriptor, tls.fileDescriptor], markers: "LT")
        await setup.recovery(expected: plain.address, expectedTLS: nil, timeout: .seconds(60)).run()
        _ = try await answered.value
        #expect(setup.supervisor.missingListeners.isEmpty)
        #expect(setup.supervisor.hasListenSocket)
        await setup.stop()
    }
}

/// The control socket closed before the control plane asked for the listeners.
struct ConnectionClosed: Error {}
