import Shared
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The proxy's listening TCP socket, bound once by the control plane and inherited by every
/// replica it starts (as fd 3, the `LISTEN_FDS` convention). It is bound with `SO_REUSEADDR`
/// only: never `SO_REUSEPORT`, whose listeners reset their queued connections when they close.
///
/// The descriptor is close-on-exec in this process; ``ProcessSpawner`` hands it to each child
/// explicitly. Keep the socket open for as long as replicas may be (re)started.
package final class ListeningSocket: Sendable {
    /// The listening descriptor.
    package let fileDescriptor: Int32
    /// The address the kernel bound (the real port when port 0 was asked for).
    package let address: HostPort
    private let closed = Atomic<Bool>(false)

    /// The accept queue asked for; the kernel caps it at `net.core.somaxconn`.
    package static let defaultBacklog: Int32 = 4096

    /// Creates, binds and listens.
    ///
    /// - Throws: ``SupervisionError`` naming the address and the system's reason.
    package init(address: HostPort, backlog: Int32 = ListeningSocket.defaultBacklog) throws(SupervisionError) {
        let family = address.isIPv6 ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .socketFailed("create a socket for", address.description, errno: errno) }
        do throws(SupervisionError) {
            var one: Int32 = 1
            guard setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
                throw SupervisionError.socketFailed("set SO_REUSEADDR on", address.description, errno: errno)
            }
            try Self.bind(fd, address)
            guard listen(fd, backlog) == 0 else {
                throw SupervisionError.socketFailed("listen on", address.description, errno: errno)
            }
            self.address = try Self.boundAddress(fd, requested: address)
        } catch {
            Glibc.close(fd)
            throw error
        }
        self.fileDescriptor = fd
    }

    private init(fileDescriptor: Int32, address: HostPort) {
        self.fileDescriptor = fileDescriptor
        self.address = address
    }

    /// Parses `HOST:PORT` and listens there.
    package convenience init(_ text: String) throws(SupervisionError) {
        try self.init(address: try HostPort(listening: text))
    }

    /// Closes the descriptor (once). Replicas keep their own copies and keep accepting.
    package func close() {
        if !closed.exchange(true, ordering: .acquiringAndReleasing) {
            _ = Glibc.close(fileDescriptor)
        }
    }

    deinit { close() }

    private static func bind(_ fd: Int32, _ address: HostPort) throws(SupervisionError) {
        let result: Int32
        if address.isIPv6 {
            var storage = sockaddr_in6()
            storage.sin6_family = sa_family_t(AF_INET6)
            storage.sin6_port = in_port_t(UInt16(address.port).bigEndian)
            _ = inet_pton(AF_INET6, address.host, &storage.sin6_addr)
            result = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        } else {
            var storage = sockaddr_in()
            storage.sin_family = sa_family_t(AF_INET)
            storage.sin_port = in_port_t(UInt16(address.port).bigEndian)
            _ = inet_pton(AF_INET, address.host, &storage.sin_addr)
            result = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        guard result == 0 else { throw .socketFailed("bind", address.description, errno: errno) }
    }

    static func boundAddress(_ fd: Int32, requested: HostPort) throws(SupervisionError) -> HostPort {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { throw .socketFailed("read the bound address of", requested.description, errno: errno) }
        let port: UInt16
        switch Int32(storage.ss_family) {
        case AF_INET6:
            port = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            }
        default:
            port = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
            }
        }
        return HostPort(host: requested.host, port: Int(port))
    }
}

extension ListeningSocket {
    /// Takes over `fd` (received from a replica) after checking that it is a listening TCP socket
    /// on `address`'s port; closes it when it is not.
    ///
    /// - Throws: ``SupervisionError`` saying what the descriptor is instead.
    package convenience init(adopting fd: Int32, expected address: HostPort) throws(SupervisionError) {
        func option(_ name: Int32) -> Int32? {
            var value: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            return getsockopt(fd, SOL_SOCKET, name, &value, &length) == 0 ? value : nil
        }
        let family = option(SO_DOMAIN)
        guard option(SO_TYPE) == Int32(SOCK_STREAM.rawValue), family == AF_INET || family == AF_INET6,
            option(SO_ACCEPTCONN) == 1
        else {
            Glibc.close(fd)
            throw .socketFailed("adopt", "the received descriptor (not a listening TCP socket)", errno: EINVAL)
        }
        let bound: HostPort
        do {
            bound = try Self.boundAddress(fd, requested: address)
        } catch {
            Glibc.close(fd)
            throw error
        }
        guard address.port == 0 || bound.port == address.port else {
            Glibc.close(fd)
            throw .socketFailed("adopt", "a socket on port \(bound.port) (expected \(address.port))", errno: EINVAL)
        }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        self.init(fileDescriptor: fd, address: bound)
    }
}
