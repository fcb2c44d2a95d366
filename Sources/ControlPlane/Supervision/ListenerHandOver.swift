import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The receiving side of the listener hand-over: a restarted control plane that did not bind the
/// proxy port (its adopted replicas hold it) gets the very same listening socket back from one of
/// them. It listens on a private Unix stream socket, sends that path to a replica
/// (`send_listener`), and receives one descriptor with `recvmsg` (`SCM_RIGHTS`).
package final class ListenerHandOver: Sendable {
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

    /// Waits up to `timeout` for a replica to connect and send a descriptor; returns it
    /// (close-on-exec). Blocks the calling thread: run it off the cooperative pool.
    ///
    /// - Throws: ``SupervisionError`` on a timeout or a message without a descriptor.
    package func receive(timeout: Duration) throws(SupervisionError) -> Int32 {
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
            var timeoutValue = timeval(tv_sec: Int(max(remaining.components.seconds, 1)), tv_usec: 0)
            setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeoutValue, socklen_t(MemoryLayout<timeval>.size))
            if let received = Self.receiveDescriptor(connection) { return received }
        }
    }

    /// One `recvmsg` carrying an `SCM_RIGHTS` control message with one descriptor.
    static func receiveDescriptor(_ connection: Int32) -> Int32? {
        // CMSG_SPACE(sizeof(int)) on 64-bit Linux: a 16-byte header plus the int, aligned to 8.
        let headerSize = MemoryLayout<cmsghdr>.size
        let controlSize = headerSize + 8
        var byte: UInt8 = 0
        let control = UnsafeMutableRawPointer.allocate(byteCount: controlSize, alignment: 8)
        defer { control.deallocate() }
        control.initializeMemory(as: UInt8.self, repeating: 0, count: controlSize)
        let received = withUnsafeMutablePointer(to: &byte) { bytePointer -> Int in
            var vector = iovec(iov_base: bytePointer, iov_len: 1)
            return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                var message = msghdr()
                message.msg_iov = vectorPointer
                message.msg_iovlen = 1
                message.msg_control = control
                message.msg_controllen = controlSize
                while true {
                    let result = recvmsg(connection, &message, Int32(MSG_CMSG_CLOEXEC))
                    if result < 0 && errno == EINTR { continue }
                    return result < 0 ? -1 : Int(message.msg_controllen)
                }
            }
        }
        guard received >= headerSize + 4 else { return nil }
        let header = control.load(as: cmsghdr.self)
        guard header.cmsg_level == SOL_SOCKET, header.cmsg_type == Int32(SCM_RIGHTS),
            Int(header.cmsg_len) >= headerSize + 4
        else { return nil }
        return control.load(fromByteOffset: headerSize, as: Int32.self)
    }
}

extension ListenerHandOver {
    /// ``receive(timeout:)`` on a dedicated thread.
    package func receiveAsync(timeout: Duration) async throws(SupervisionError) -> Int32 {
        let result = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<Int32, SupervisionError>, Never>) in
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
