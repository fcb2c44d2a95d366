import Foundation

/// A TCP port on 127.0.0.1 that refuses connections for as long as this value is kept: it is
/// bound but never listened on, so no other test can take it meanwhile (as it could a port
/// merely closed again).
package final class ClosedPort: @unchecked Sendable {
    package let port: Int
    private let descriptor: Int32

    /// With `listening`, the port is listened on but nothing ever accepts: connections complete
    /// in the kernel's backlog and then hear nothing (a hung server).
    package init(listening: Bool = false) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(fd, socketAddress, length) == 0 && getsockname(fd, socketAddress, &length) == 0
            }
        }
        guard bound, !listening || listen(fd, 16) == 0 else {
            close(fd)
            throw POSIXError(.EADDRNOTAVAIL)
        }
        descriptor = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(descriptor) }
}
