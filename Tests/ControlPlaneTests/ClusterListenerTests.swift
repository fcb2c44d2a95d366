import Foundation
import Logging
import Shared
import TestSupport
import Testing

@testable import ControlPlane

#if canImport(Glibc)
    import Glibc
#endif

/// The cluster listener in process: bounds on connections that never say hello, and certificate
/// files checked at start.
@Suite struct ClusterListenerTests {
    static func settings(in directory: TestDirectory) throws -> ClusterSettings {
        let authority = try TestCertificateAuthority()
        let ca = try authority.write(to: directory)
        let server = try authority.issue("cp", in: directory, commonName: "cp", ipAddresses: ["127.0.0.1"])
        return ClusterSettings(
            address: HostPort(host: Self.host, port: 0), certFile: server.certFile, keyFile: server.keyFile,
            caFile: ca)
    }

    /// The listener's own loopback address: other tests' processes, dialing ports of 127.0.0.1
    /// that closed and that this listener's port may reuse, must not take its pending slots.
    static let host = "127.0.0.2"

    /// A plain TCP connection to ``host``:`port` that sends nothing.
    static func connect(_ port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr(Self.host)
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else { throw POSIXError(.ECONNREFUSED) }
        return fd
    }

    /// Whether the peer closed `fd` within `seconds` (a read returns end of file). The read
    /// blocks, so it runs on a thread of its own: blocking the few threads of Swift's
    /// concurrency pool would keep the listener under test (and other tests) from running.
    static func closedByPeer(_ fd: Int32, within seconds: Int) async -> Bool {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: readsEndOfFile(fd, within: seconds)) }
        }
    }

    private static func readsEndOfFile(_ fd: Int32, within seconds: Int) -> Bool {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var byte: UInt8 = 0
        let read = recv(fd, &byte, 1, 0)
        return read == 0 || (read < 0 && errno == ECONNRESET)
    }

    @Test func connectionsBeyondThePendingLimitAreClosedAtOnce() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let logger = Logger(label: "test.cluster")
        let listener = try await ClusterListener(
            settings: try Self.settings(in: directory), publisher: SnapshotPublisher(logger: logger), logger: logger,
            helloTimeout: .seconds(60), pendingLimit: 2)
        let port = try #require(listener.localAddress?.port)
        let running = Task { try await listener.run() }
        defer { running.cancel() }

        let first = try Self.connect(port)
        let second = try Self.connect(port)
        // `first` is closed before the end: closing its number again could close another test's
        // socket that took it meanwhile.
        var firstOpen = true
        defer {
            if firstOpen { close(first) }
            close(second)
        }
        // Both counted before a third exists: channels set up on different event loops may be
        // ready in another order than they connected.
        _ = try await eventually("both connections counted", timeout: 30) {
            listener.pendingCount == 2 ? true : nil
        }
        // The two pending ones are held (until their hello timeout); a third is closed at once.
        _ = try await eventually("the third connection is closed", timeout: 30) { () -> Bool? in
            let third = try Self.connect(port)
            defer { close(third) }
            return await Self.closedByPeer(third, within: 2) ? true : nil
        }
        let firstClosed = await Self.closedByPeer(first, within: 1)
        let secondClosed = await Self.closedByPeer(second, within: 1)
        #expect(!firstClosed && !secondClosed)
        // Once one goes away, there is room again.
        close(first)
        firstOpen = false
        _ = try await eventually("room for another connection", timeout: 30) { () -> Bool? in
            let again = try Self.connect(port)
            defer { close(again) }
            return await Self.closedByPeer(again, within: 1) ? nil : true
        }
    }

    @Test func unreadableOrMismatchedFilesStopTheStartWithTheFileNamed() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let logger = Logger(label: "test.cluster")
        let good = try Self.settings(in: directory)
        var missing = good
        missing.caFile = directory.file("nowhere.pem").path
        var mismatched = good
        let other = try TestCertificateAuthority().issue("other", in: directory, commonName: "other")
        mismatched.keyFile = other.keyFile
        for (settings, named) in [(missing, "--cluster-ca"), (mismatched, "--cluster-key")] {
            do {
                _ = try await ClusterListener(
                    settings: settings, publisher: SnapshotPublisher(logger: logger), logger: logger)
                Issue.record("started with \(named) wrong")
            } catch let error as ControlPlaneError {
                #expect(error.description.contains(named), "\(error)")
            }
        }
    }
}
