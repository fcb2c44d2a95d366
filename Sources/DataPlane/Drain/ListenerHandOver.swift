import Shared

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Hands listening sockets to another process over a Unix socket: connect (blocking) to `path`,
/// send one message of one byte per socket naming it (``InheritedListener/handOverMarker``: `L`
/// for the plaintext proxy socket, `T` for the TLS one) with the descriptors in an `SCM_RIGHTS`
/// control message in the same order, close. A restarted control plane receives the proxy
/// sockets this way from the running replicas; one that predates TLS reads the first byte and
/// the first descriptor only, which is the plaintext socket. Blocking: call it off the event loops.
package enum ListenerHandOver {
    /// The byte that carries the plaintext proxy socket.
    package static let marker: UInt8 = InheritedListener.proxy.handOverMarker

    /// A failed system call, with its `errno`.
    package struct Failure: Error, CustomStringConvertible {
        package let call: String
        package let code: Int32
        package var description: String { "\(call): \(String(cString: strerror(code)))" }
    }

    /// Sends `descriptor`, the plaintext proxy socket, to the process listening on the Unix socket `path`.
    package static func send(descriptor: Int32, to path: String) throws(Failure) {
        try send([(.proxy, descriptor)], to: path)
    }

    /// Sends `listeners` (the plaintext one first) in one message to the process listening on
    /// the Unix socket `path`.
    package static func send(_ listeners: [(InheritedListener, Int32)], to path: String) throws(Failure) {
        guard !listeners.isEmpty else { return }
        #if canImport(Glibc)
            let unixSocket = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
            let unixSocket = socket(AF_UNIX, SOCK_STREAM, 0)
        #endif
        guard unixSocket >= 0 else { throw Failure(call: "socket", code: errno) }
        defer { close(unixSocket) }
        try connect(unixSocket, to: path)
        try sendDescriptors(listeners, over: unixSocket)
    }

    private static func connect(_ unixSocket: Int32, to path: String) throws(Failure) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { throw Failure(call: "connect (path too long)", code: ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                #if canImport(Glibc)
                    Glibc.connect(unixSocket, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                #else
                    Darwin.connect(unixSocket, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                #endif
            }
        }
        guard result == 0 else { throw Failure(call: "connect", code: errno) }
    }

    private static func sendDescriptors(
        _ listeners: [(InheritedListener, Int32)], over unixSocket: Int32
    ) throws(Failure) {
        var payload = listeners.map(\.0.handOverMarker)
        let count = listeners.count
        let controlLength = Self.controlSpace(forDescriptors: count)
        let control = UnsafeMutableRawPointer.allocate(
            byteCount: controlLength, alignment: MemoryLayout<cmsghdr>.alignment)
        defer { control.deallocate() }
        control.initializeMemory(as: UInt8.self, repeating: 0, count: controlLength)

        let header = control.assumingMemoryBound(to: cmsghdr.self)
        header.pointee.cmsg_level = SOL_SOCKET
        header.pointee.cmsg_type = Int32(SCM_RIGHTS)
        header.pointee.cmsg_len = .init(Self.controlLength(forDescriptors: count))
        for (index, listener) in listeners.enumerated() {
            (control + Self.alignedHeaderSize + index * MemoryLayout<Int32>.size).storeBytes(
                of: listener.1, as: Int32.self)
        }

        let sent = payload.withUnsafeMutableBytes { payloadBytes -> Int in
            var vector = iovec(iov_base: payloadBytes.baseAddress, iov_len: payloadBytes.count)
            return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                var message = msghdr()
                message.msg_iov = vectorPointer
                message.msg_iovlen = 1
                message.msg_control = control
                message.msg_controllen = .init(controlLength)
                var result: Int
                repeat {
                    result = sendmsg(unixSocket, &message, 0)
                } while result < 0 && errno == EINTR
                return result
            }
        }
        guard sent == count else { throw Failure(call: "sendmsg", code: sent < 0 ? errno : EIO) }
    }

    /// `CMSG_ALIGN(sizeof(struct cmsghdr))`: where the data of a control message starts.
    static var alignedHeaderSize: Int { align(MemoryLayout<cmsghdr>.size) }

    /// `CMSG_LEN(n * sizeof(int))`.
    static func controlLength(forDescriptors count: Int) -> Int {
        alignedHeaderSize + count * MemoryLayout<Int32>.size
    }

    /// `CMSG_SPACE(n * sizeof(int))`.
    static func controlSpace(forDescriptors count: Int) -> Int {
        alignedHeaderSize + align(count * MemoryLayout<Int32>.size)
    }

    private static func align(_ length: Int) -> Int {
        let word = MemoryLayout<Int>.size
        return (length + word - 1) & ~(word - 1)
    }
}
