import DataPlane
import Foundation
import NIOCore
import Shared
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The replica's side of the listener hand-over: on `send_listener` a replica serving an
/// inherited socket sends that listening descriptor over a Unix socket (`SCM_RIGHTS`).
@Suite(.endToEnd) struct ListenerHandOverTests {
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

/// The sending side with two sockets: one message, the plaintext socket first, each named by its
/// byte, which a control plane that predates TLS reads as the one socket it knows.
@Suite(.endToEnd) struct ListenerHandOverTLSTests {
    /// A listening TCP socket on 127.0.0.1 and its port.
    static func listen() throws -> (descriptor: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        try #require(fd >= 0)
        // NIO's address, not a `sockaddr_in` built here: SwiftNIO's C shim includes the same
        // system headers, and the module the compiler loads first owns that struct's members.
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: 0)
        let bound = address.withSockAddr { bind(fd, $0, socklen_t($1)) }
        try #require(bound == 0 && Glibc.listen(fd, 8) == 0)
        return (fd, try #require(SocketFacts.localPort(fd)))
    }

    @Test func bothSocketsGoInOneMessageNamedByTheirBytes() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let receiver = try ListenerReceiver(path: directory.file("h.sock").path)
        defer { receiver.close() }
        let plain = try Self.listen()
        defer { close(plain.descriptor) }
        let tls = try Self.listen()
        defer { close(tls.descriptor) }

        let receiving = Task { try await receiver.receiveListeners(timeout: 30) }
        try ListenerHandOver.send([(.proxy, plain.descriptor), (.proxyTLS, tls.descriptor)], to: receiver.path)
        let received = try await receiving.value
        defer { for listener in received { close(listener.descriptor) } }
        #expect(received.map(\.marker) == Array("LT".utf8))
        #expect(received.map { SocketFacts.localPort($0.descriptor) } == [plain.port, tls.port])
        #expect(received.allSatisfy { SocketFacts.isListening($0.descriptor) })

        // A receiver that reads one byte and one descriptor gets the plaintext socket.
        let old = Task { try await receiver.receive(timeout: 30) }
        try ListenerHandOver.send([(.proxy, plain.descriptor), (.proxyTLS, tls.descriptor)], to: receiver.path)
        let only = try await old.value
        defer { close(only) }
        #expect(SocketFacts.localPort(only) == plain.port)
    }
}
