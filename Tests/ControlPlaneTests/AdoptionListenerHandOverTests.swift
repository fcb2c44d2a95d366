import Foundation
import Shared
import TestSupport
import Testing

@testable import ControlPlane

#if canImport(Glibc)
    import Glibc
#endif

/// The receiving side of the listener hand-over, against a real Unix socket and a real
/// listening TCP socket sent with `SCM_RIGHTS`.
@Suite(.endToEnd) struct AdoptionListenerHandOverTests {
    @Test func receivesTheVeryListeningSocketAndChecksIt() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let handOver = try ListenerHandOver(path: directory.file("l.sock").path)
        defer { handOver.close() }
        var info = stat()
        #expect(stat(handOver.path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)

        let proxy = try ListeningSocket("127.0.0.1:0")
        defer { proxy.close() }
        let receiving = Task { try await handOver.receiveAsync(timeout: .seconds(30)) }
        try send(proxy.fileDescriptor, to: handOver.path)
        let fd = try #require(try await receiving.value.proxy)
        let adopted = try ListeningSocket(adopting: fd, expected: proxy.address)
        defer { adopted.close() }
        #expect(adopted.address.port == proxy.address.port)
        #expect(adopted.fileDescriptor != proxy.fileDescriptor)

        // The port check: the same socket expected on another port is refused.
        let second = Task { try await handOver.receiveAsync(timeout: .seconds(30)) }
        try send(proxy.fileDescriptor, to: handOver.path)
        let other = try HostPort(listening: "127.0.0.1:\(proxy.address.port == 1 ? 2 : 1)")
        let sameSocket = try #require(try await second.value.proxy)
        #expect(throws: SupervisionError.self) { try ListeningSocket(adopting: sameSocket, expected: other) }
    }

    @Test func bothSocketsArriveInOneMessageNamedByTheirBytes() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let handOver = try ListenerHandOver(path: directory.file("l.sock").path)
        defer { handOver.close() }
        let plain = try ListeningSocket("127.0.0.1:0")
        defer { plain.close() }
        let tls = try ListeningSocket("127.0.0.1:0")
        defer { tls.close() }

        /// Sends `descriptors` with `markers` and adopts what arrives.
        func pass(_ descriptors: [Int32], _ markers: String) async throws -> (plain: Int?, tls: Int?) {
            let receiving = Task { try await handOver.receiveAsync(timeout: .seconds(30)) }
            try DescriptorSender.send(descriptors, markers: Array(markers.utf8), to: handOver.path)
            let received = try await receiving.value
            let adoptedPlain = try received.proxy.map { try ListeningSocket(adopting: $0, expected: plain.address) }
            let adoptedTLS = try received.proxyTLS.map { try ListeningSocket(adopting: $0, expected: tls.address) }
            defer {
                adoptedPlain?.close()
                adoptedTLS?.close()
            }
            return (adoptedPlain?.address.port, adoptedTLS?.address.port)
        }

        let both = try await pass([plain.fileDescriptor, tls.fileDescriptor], "LT")
        #expect(both.plain == plain.address.port && both.tls == tls.address.port)
        // The bytes name the sockets, not their order.
        let swapped = try await pass([tls.fileDescriptor, plain.fileDescriptor], "TL")
        #expect(swapped.plain == plain.address.port && swapped.tls == tls.address.port)
        // A replica that predates TLS sends one byte, whatever it is, and the plaintext socket.
        let old = try await pass([plain.fileDescriptor], "L")
        #expect(old.plain == plain.address.port && old.tls == nil)
        let oldest = try await pass([plain.fileDescriptor], "\u{1}")
        #expect(oldest.plain == plain.address.port && oldest.tls == nil)
    }

    @Test func descriptorsAreNamedByTheirBytes() {
        typealias Received = ListenerHandOver.Received
        #expect(
            Received.naming(markers: Array("LT".utf8), descriptors: [5, 6]) == (Received(proxy: 5, proxyTLS: 6), []))
        #expect(Received.naming(markers: Array("T".utf8), descriptors: [5]) == (Received(proxyTLS: 5), []))
        #expect(Received.naming(markers: [1], descriptors: [5]) == (Received(proxy: 5), []))
        #expect(Received.naming(markers: Array("LL".utf8), descriptors: [5, 6]) == (Received(proxy: 5), [6]))
        #expect(Received.naming(markers: Array("L".utf8), descriptors: [5, 6]) == (Received(proxy: 5), [6]))
        #expect(Received.naming(markers: Array("L".utf8), descriptors: []) == (Received(), []))
    }

    @Test func aDescriptorThatIsNotAListeningSocketIsRefused() throws {
        let fd = open("/dev/null", O_RDONLY | O_CLOEXEC)
        #expect(throws: SupervisionError.self) {
            try ListeningSocket(adopting: fd, expected: try HostPort(listening: "127.0.0.1:8000"))
        }
    }

    @Test func noSenderTimesOutWithAClearError() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let handOver = try ListenerHandOver(path: directory.file("l.sock").path)
        defer { handOver.close() }
        #expect(throws: SupervisionError.self) { try handOver.receive(timeout: .milliseconds(300)) }
    }

    /// What a replica does: connect and send `fd` in one `sendmsg` with `SCM_RIGHTS`.
    private func send(_ fd: Int32, to path: String) throws {
        let connection = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(connection) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(connection, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        try #require(connected == 0)
        let headerSize = MemoryLayout<cmsghdr>.size
        let control = UnsafeMutableRawPointer.allocate(byteCount: headerSize + 8, alignment: 8)
        defer { control.deallocate() }
        control.initializeMemory(as: UInt8.self, repeating: 0, count: headerSize + 8)
        var header = cmsghdr()
        header.cmsg_len = headerSize + 4
        header.cmsg_level = SOL_SOCKET
        header.cmsg_type = Int32(SCM_RIGHTS)
        control.storeBytes(of: header, as: cmsghdr.self)
        control.storeBytes(of: fd, toByteOffset: headerSize, as: Int32.self)
        var byte: UInt8 = 1
        let sent = withUnsafeMutablePointer(to: &byte) { bytePointer -> Int in
            var vector = iovec(iov_base: bytePointer, iov_len: 1)
            return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                var message = msghdr()
                message.msg_iov = vectorPointer
                message.msg_iovlen = 1
                message.msg_control = control
                message.msg_controllen = headerSize + 8
                return sendmsg(connection, &message, 0)
            }
        }
        try #require(sent == 1)
    }
}
