import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The sending side of a listener hand-over as a test plays a replica: connect to a Unix socket
/// and send `markers` with `descriptors` attached (`SCM_RIGHTS`) in one `sendmsg`.
public enum DescriptorSender {
    public static func send(_ descriptors: [Int32], markers: [UInt8], to path: String) throws {
        let connection = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard connection >= 0 else { throw TimedOut(description: "socket(AF_UNIX) failed: errno \(errno)") }
        defer { close(connection) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw TimedOut(description: "socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(connection, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else { throw TimedOut(description: "connect to \(path) failed: errno \(errno)") }
        let headerSize = MemoryLayout<cmsghdr>.size
        let dataSize = descriptors.count * MemoryLayout<Int32>.size
        let controlSize = headerSize + ((dataSize + 7) & ~7)
        let control = UnsafeMutableRawPointer.allocate(byteCount: max(controlSize, 1), alignment: 8)
        defer { control.deallocate() }
        control.initializeMemory(as: UInt8.self, repeating: 0, count: controlSize)
        var header = cmsghdr()
        header.cmsg_len = headerSize + dataSize
        header.cmsg_level = SOL_SOCKET
        header.cmsg_type = Int32(SCM_RIGHTS)
        control.storeBytes(of: header, as: cmsghdr.self)
        for (index, descriptor) in descriptors.enumerated() {
            control.storeBytes(of: descriptor, toByteOffset: headerSize + index * 4, as: Int32.self)
        }
        var payload = markers
        let sent = payload.withUnsafeMutableBytes { buffer -> Int in
            var vector = iovec(iov_base: buffer.baseAddress, iov_len: buffer.count)
            return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                var message = msghdr()
                message.msg_iov = vectorPointer
                message.msg_iovlen = 1
                message.msg_control = descriptors.isEmpty ? nil : control
                message.msg_controllen = descriptors.isEmpty ? 0 : controlSize
                return sendmsg(connection, &message, 0)
            }
        }
        guard sent == markers.count else { throw TimedOut(description: "sendmsg sent \(sent) bytes: errno \(errno)") }
    }
}
