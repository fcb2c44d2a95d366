import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The receiving side of the listener hand-over: listens on a Unix socket path, accepts one
/// connection, and takes the descriptor a replica sends with the byte `L` in an `SCM_RIGHTS`
/// control message. The caller owns (and closes) the returned descriptor.
public final class ListenerReceiver: Sendable {
    public let path: String
    private let listener: Int32

    /// Binds and listens on `path` at once, so the sender can connect as soon as it is told to.
    public init(path: String) throws {
        self.path = path
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TimedOut(description: "socket(AF_UNIX) failed: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            Glibc.close(fd)
            throw TimedOut(description: "socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        unlink(path)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0, listen(fd, 4) == 0 else {
            Glibc.close(fd)
            throw TimedOut(description: "bind/listen on \(path) failed: errno \(errno)")
        }
        listener = fd
    }

    /// Waits (on a thread of its own) up to `timeout` seconds for a sender, and returns the
    /// descriptor it sent.
    public func receive(timeout: Double = 30) async throws -> Int32 {
        let listener = listener
        let result: Result<Int32, TimedOut> = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(returning: Self.receiveBlocking(on: listener, timeout: timeout))
            }
        }
        return try result.get()
    }

    /// Waits (on a thread of its own) up to `timeout` seconds for a sender, and returns every
    /// descriptor of its message with the byte that names it (`L`, `T`), in order.
    public func receiveListeners(timeout: Double = 30) async throws -> [(marker: UInt8, descriptor: Int32)] {
        let listener = listener
        let result: Result<[(marker: UInt8, descriptor: Int32)], TimedOut> = await withCheckedContinuation {
            continuation in
            Thread.detachNewThread {
                continuation.resume(returning: Self.receiveAllBlocking(on: listener, timeout: timeout))
            }
        }
        return try result.get()
    }

    private static func receiveAllBlocking(
        on listener: Int32, timeout: Double
    ) -> Result<[(marker: UInt8, descriptor: Int32)], TimedOut> {
        var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(timeout * 1000)) == 1 else {
            return .failure(TimedOut(description: "no listener hand-over within \(timeout)s"))
        }
        let connection = accept(listener, nil, nil)
        guard connection >= 0 else { return .failure(TimedOut(description: "accept failed: errno \(errno)")) }
        defer { Glibc.close(connection) }
        var timeoutValue = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeoutValue, socklen_t(MemoryLayout<timeval>.size))
        var bytes = [UInt8](repeating: 0, count: 8)
        let controlLength = 64
        let control = UnsafeMutableRawPointer.allocate(
            byteCount: controlLength, alignment: MemoryLayout<cmsghdr>.alignment)
        defer { control.deallocate() }
        control.initializeMemory(as: UInt8.self, repeating: 0, count: controlLength)
        let received = bytes.withUnsafeMutableBytes { buffer -> Int in
            var vector = iovec(iov_base: buffer.baseAddress, iov_len: buffer.count)
            return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                var message = msghdr()
                message.msg_iov = vectorPointer
                message.msg_iovlen = 1
                message.msg_control = control
                message.msg_controllen = controlLength
                return recvmsg(connection, &message, Int32(MSG_CMSG_CLOEXEC))
            }
        }
        guard received > 0 else { return .failure(TimedOut(description: "recvmsg got \(received) bytes")) }
        let header = control.assumingMemoryBound(to: cmsghdr.self).pointee
        guard header.cmsg_level == SOL_SOCKET, header.cmsg_type == Int32(SCM_RIGHTS) else {
            return .failure(TimedOut(description: "no SCM_RIGHTS descriptor in the message"))
        }
        let alignedHeader = (MemoryLayout<cmsghdr>.size + MemoryLayout<Int>.size - 1) & ~(MemoryLayout<Int>.size - 1)
        let count = (Int(header.cmsg_len) - alignedHeader) / MemoryLayout<Int32>.size
        let descriptors = (0..<count).map {
            (control + alignedHeader + $0 * MemoryLayout<Int32>.size).load(as: Int32.self)
        }
        return .success(zip(bytes.prefix(received), descriptors).map { (marker: $0, descriptor: $1) })
    }

    /// Closes the listening socket and removes its path.
    public func close() {
        Glibc.close(listener)
        unlink(path)
    }

    /// The first descriptor of one message, which must be named `L`: what a control plane that
    /// knows only the plaintext socket reads. Any further descriptors are closed.
    private static func receiveBlocking(on listener: Int32, timeout: Double) -> Result<Int32, TimedOut> {
        receiveAllBlocking(on: listener, timeout: timeout).flatMap { received in
            received.dropFirst().forEach { Glibc.close($0.descriptor) }
            guard let first = received.first, first.marker == UInt8(ascii: "L") else {
                received.prefix(1).forEach { Glibc.close($0.descriptor) }
                return .failure(TimedOut(description: "expected the byte L first, got \(received.map(\.marker))"))
            }
            return .success(first.descriptor)
        }
    }
}

/// Facts about a socket descriptor, for checking a handed-over listener.
public enum SocketFacts {
    /// The local TCP port `descriptor` is bound to, if it is an IPv4/IPv6 socket.
    public static func localPort(_ descriptor: Int32) -> Int? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard result == 0 else { return nil }
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    Int(UInt16(bigEndian: $0.pointee.sin6_port))
                }
            }
        default:
            return nil
        }
    }

    /// Whether `descriptor` is a listening socket (`SO_ACCEPTCONN`).
    public static func isListening(_ descriptor: Int32) -> Bool {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(descriptor, SOL_SOCKET, SO_ACCEPTCONN, &value, &length) == 0 && value == 1
    }

    /// Whether `descriptor` is a stream (TCP) socket.
    public static func isStream(_ descriptor: Int32) -> Bool {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(descriptor, SOL_SOCKET, SO_TYPE, &value, &length) == 0 && value == Int32(SOCK_STREAM.rawValue)
    }
}
