import Foundation
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// The receiving side of the listener hand-over: a restarted control plane that did not bind the
/// proxy ports (its adopted replicas hold them) gets the very same listening sockets back from one
/// of them. It listens on a private Unix stream socket, sends that path to a replica
/// (`send_listener`), and receives one message with `recvmsg`: one byte per socket naming it
/// (``InheritedListener/handOverMarker``) and the descriptors in the same order (`SCM_RIGHTS`).
/// A replica that predates TLS sends one byte and one descriptor: the plaintext socket.
package final class ListenerHandOver: Sendable {
    /// The descriptors one replica handed over, close-on-exec, owned by the receiver.
    package struct Received: Sendable, Equatable {
        /// The plaintext proxy socket.
        package var proxy: Int32?
        /// The TLS proxy socket, from a replica that serves one.
        package var proxyTLS: Int32?

        package init(proxy: Int32? = nil, proxyTLS: Int32? = nil) {
            self.proxy = proxy
            self.proxyTLS = proxyTLS
        }

        /// Names the descriptors of one message by their bytes. The first descriptor is the
        /// plaintext socket unless its byte says otherwise (older replicas sent any byte); extra,
        /// repeated or unnamed descriptors are returned to be closed.
        static func naming(markers: [UInt8], descriptors: [Int32]) -> (Received, unknown: [Int32]) {
            var received = Received()
            var unknown: [Int32] = []
            for (index, descriptor) in descriptors.enumerated() {
                let marker: UInt8? = index < markers.count ? markers[index] : nil
                switch marker.flatMap(InheritedListener.init(handOverMarker:)) ?? (index == 0 ? .proxy : nil) {
                case .proxy? where received.proxy == nil: received.proxy = descriptor
                case .proxyTLS? where received.proxyTLS == nil: received.proxyTLS = descriptor
                default: unknown.append(descriptor)
                }
            }
            return (received, unknown)
        }
    }

    /// The most descriptors one hand-over carries: one per ``InheritedListener``.
    static let maximumDescriptors = InheritedListener.allCases.count

    /// Where the replica connects.
    package let path: String
    private let fileDescriptor: Int32

    /// Listens on `path` (replacing a stale file), readable and writable by this user only.
    package init(path: String) throws(SupervisionError) {
        guard path.utf8.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path) else {
            throw .socketFailed("listen on", path, errno: ENAMETOOLONG)
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .socketFailed("create a socket for", path, errno: errno) }
        unlink(path)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
        }
        // The socket file is created with these permissions: 0600.
        let previous = umask(0o177)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        let bindError = errno
        umask(previous)
        guard bound == 0 else {
            Glibc.close(fd)
            throw .socketFailed("bind", path, errno: bindError)
        }
        guard listen(fd, 4) == 0 else {
            let code = errno
            Glibc.close(fd)
            unlink(path)
            throw .socketFailed("listen on", path, errno: code)
        }
        self.path = path
        self.fileDescriptor = fd
    }

    /// Closes the socket and removes its file.
    package func close() {
        Glibc.close(fileDescriptor)
        unlink(path)
    }

    /// Waits up to `timeout` for a replica to connect and send its descriptors; returns them
    /// (close-on-exec). Blocks the calling thread: run it off the cooperative pool.
    ///
    /// - Throws: ``SupervisionError`` on a timeout or a message without a descriptor.
    package func receive(timeout: Duration) throws(SupervisionError) -> Received {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else { throw .socketFailed("receive the proxy socket on", path, errno: ETIMEDOUT) }
            var poller = pollfd(fd: fileDescriptor, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(min(remaining.components.seconds * 1000 + 1, 1000))
            let ready = poll(&poller, 1, milliseconds)
            if ready < 0 && errno != EINTR { throw .socketFailed("wait for a connection on", path, errno: errno) }
            guard ready > 0 else { continue }
            let connection = accept(fileDescriptor, nil, nil)
            guard connection >= 0 else { continue }
            _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
            defer { Glibc.close(connection) }
            // Only a process of this user may hand the control plane a socket.
            guard PeerCredentials.of(descriptor: connection)?.isSameUser ?? false else { continue }
            var timeoutValue = timeval(tv_sec: Int(max(remaining.components.seconds, 1)), tv_usec: 0)
            setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeoutValue, socklen_t(MemoryLayout<timeval>.size))
            let (markers, descriptors) = Self.receiveDescriptors(connection)
            let (received, unknown) = Received.naming(markers: markers, descriptors: descriptors)
            for descriptor in unknown { Glibc.close(descriptor) }
            if received.proxy != nil || received.proxyTLS != nil { return received }
        }
    }

    /// One `recvmsg` carrying up to ``maximumDescriptors`` bytes and an `SCM_RIGHTS` control
    /// message with as many descriptors.
    static func receiveDescriptors(_ connection: Int32) -> (markers: [UInt8], descriptors: [Int32]) {
        // CMSG_SPACE(n * sizeof(int)) on 64-bit Linux: a 16-byte header plus the ints, aligned to 8.
        let headerSize = MemoryLayout<cmsghdr>.size
        let dataSize = maximumDescriptors * MemoryLayout<Int32>.size
        let controlSize = headerSize + ((dataSize + 7) & ~7)
        var bytes = [UInt8](repeating: 0, count: maximumDescriptors)
        let control = UnsafeMutableRawPointer.allocate(byteCount: controlSize, alignment: 8)
        defer { control.deallocate() }
        control.initializeMemory(as: UInt8.self, repeating: 0, count: controlSize)
        let (count, controlLength) = bytes.withUnsafeMutableBytes { buffer -> (Int, Int) in
            var vector = iovec(iov_base: buffer.baseAddress, iov_len: buffer.count)
            return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                var message = msghdr()
                message.msg_iov = vectorPointer
                message.msg_iovlen = 1
                message.msg_control = control
                message.msg_controllen = controlSize
                while true {
                    let result = recvmsg(connection, &message, Int32(MSG_CMSG_CLOEXEC))
                    if result < 0 && errno == EINTR { continue }
                    return result < 0 ? (0, 0) : (result, Int(message.msg_controllen))
                }
            }
        }
        guard controlLength >= headerSize + 4 else { return (Array(bytes.prefix(count)), []) }
        let header = control.load(as: cmsghdr.self)
        guard header.cmsg_level == SOL_SOCKET, header.cmsg_type == Int32(SCM_RIGHTS),
            Int(header.cmsg_len) >= headerSize + 4
        else { return (Array(bytes.prefix(count)), []) }
        let descriptorCount = min((Int(header.cmsg_len) - headerSize) / 4, maximumDescriptors)
        let descriptors = (0..<descriptorCount).map {
            control.load(fromByteOffset: headerSize + $0 * 4, as: Int32.self)
        }
        return (Array(bytes.prefix(count)), descriptors)
    }
}

extension ListenerHandOver {
    /// ``receive(timeout:)`` on a dedicated thread.
    package func receiveAsync(timeout: Duration) async throws(SupervisionError) -> Received {
        let result = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<Received, SupervisionError>, Never>) in
            let thread = Thread {
                do throws(SupervisionError) {
                    continuation.resume(returning: .success(try self.receive(timeout: timeout)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
            thread.name = "orch-listener-hand-over"
            thread.start()
        }
        return try result.get()
    }
}
