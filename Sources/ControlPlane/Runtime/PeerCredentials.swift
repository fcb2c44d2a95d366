#if canImport(Glibc)
    import Glibc
#endif

/// Who is on the other end of a Unix socket connection, as the kernel says (`SO_PEERCRED`):
/// the control plane talks only to processes of its own user on its local sockets, whatever the
/// socket file's mode lets through.
package struct PeerCredentials: Sendable, Equatable {
    package var pid: Int32 = 0
    package var uid: UInt32 = 0
    package var gid: UInt32 = 0

    package init(pid: Int32 = 0, uid: UInt32 = 0, gid: UInt32 = 0) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }

    /// The credentials of the peer of the connected Unix socket `descriptor`, if the system says.
    package static func of(descriptor: Int32) -> PeerCredentials? {
        #if canImport(Glibc)
            var credentials = PeerCredentials()
            var length = socklen_t(MemoryLayout<PeerCredentials>.size)
            let result = withUnsafeMutablePointer(to: &credentials) {
                getsockopt(descriptor, SOL_SOCKET, SO_PEERCRED, $0, &length)
            }
            return result == 0 ? credentials : nil
        #else
            return nil
        #endif
    }

    /// Whether the peer runs as the control plane's own (effective) user.
    package var isSameUser: Bool {
        #if canImport(Glibc)
            uid == geteuid()
        #else
            true
        #endif
    }
}
