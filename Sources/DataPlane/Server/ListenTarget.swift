import NIOCore
import Shared

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where a proxy listener listens: an address it binds itself (with `SO_REUSEPORT`, so standalone
/// replicas can share a port), or a socket inherited from its supervisor (`LISTEN_FDS`). A replica
/// has one for plaintext HTTP and optionally one for TLS.
package enum ListenTarget: Sendable, Equatable {
    case bind(host: String, port: Int)
    /// An already bound, listening socket (fd 3 under the `LISTEN_FDS` convention).
    case inherited(descriptor: Int32)

    /// The inherited listening socket, if that is the target.
    package var inheritedDescriptor: Int32? {
        if case .inherited(let descriptor) = self { return descriptor }
        return nil
    }

    /// The first descriptor passed under the `LISTEN_FDS` convention.
    package static let firstInheritedDescriptor: Int32 = 3

    /// The `LISTEN_FDNAMES` name of the plaintext proxy socket.
    package static let plainSocketName = "proxy"
    /// The `LISTEN_FDNAMES` name of the TLS proxy socket.
    package static let tlsSocketName = "proxy-tls"

    /// An explicit address wins; otherwise an inherited socket when `LISTEN_FDS` names at
    /// least one for this process (`LISTEN_PID` unset or ours): the one `LISTEN_FDNAMES` calls
    /// `proxy`, else the first one unless it is named `proxy-tls`; otherwise `fallback`.
    package static func choose(
        explicit: String?, fallback: String, environment: [String: String], pid: Int32
    ) throws(HostPortError) -> ListenTarget {
        if let explicit { return try parse(explicit) }
        let inherited = InheritedSockets(environment: environment, pid: pid)
        if let named = inherited.descriptor(named: plainSocketName) { return .inherited(descriptor: named) }
        if inherited.count >= 1, inherited.name(of: firstInheritedDescriptor) != tlsSocketName {
            return .inherited(descriptor: firstInheritedDescriptor)
        }
        return try parse(fallback)
    }

    /// The TLS listener, if any: an explicit address wins; otherwise the inherited socket that
    /// `LISTEN_FDNAMES` calls `proxy-tls` (`LISTEN_FDS=2`, `LISTEN_FDNAMES=proxy:proxy-tls`: fd 4);
    /// otherwise none. An unnamed second socket is never taken for TLS.
    package static func chooseTLS(
        explicit: String?, environment: [String: String], pid: Int32
    ) throws(HostPortError) -> ListenTarget? {
        if let explicit { return try parse(explicit) }
        let inherited = InheritedSockets(environment: environment, pid: pid)
        return inherited.descriptor(named: tlsSocketName).map { .inherited(descriptor: $0) }
    }

    /// Parses `HOST:PORT` (`[::1]:8000` for IPv6), by the rules of ``HostPort``.
    package static func parse(_ text: String) throws(HostPortError) -> ListenTarget {
        let address = try HostPort(parsing: text, kind: "listen address")
        return .bind(host: address.host, port: address.port)
    }

    /// Removes the `LISTEN_*` variables so that processes we might start do not inherit them.
    package static func clearInheritanceEnvironment() {
        unsetenv("LISTEN_FDS")
        unsetenv("LISTEN_PID")
        unsetenv("LISTEN_FDNAMES")
    }
}

/// The sockets a supervisor passed under the `LISTEN_FDS` convention: `count` descriptors from
/// fd 3 on, named in order by the colon-separated `LISTEN_FDNAMES` (names may be missing).
struct InheritedSockets {
    /// Descriptors passed to this process; 0 when `LISTEN_FDS` is unset, not a number, or
    /// `LISTEN_PID` names another process.
    let count: Int
    let names: [Substring]

    init(environment: [String: String], pid: Int32) {
        let count = environment["LISTEN_FDS"].flatMap { Int($0) } ?? 0
        let forUs = environment["LISTEN_PID"].map { Int32($0) == pid } ?? true
        self.count = forUs ? max(0, min(count, 64)) : 0
        self.names =
            environment["LISTEN_FDNAMES"].map { $0.split(separator: ":", omittingEmptySubsequences: false) } ?? []
    }

    /// The name given to `descriptor`, if any.
    func name(of descriptor: Int32) -> String? {
        let index = Int(descriptor - ListenTarget.firstInheritedDescriptor)
        guard index >= 0, index < count, index < names.count else { return nil }
        return String(names[index])
    }

    /// The first descriptor named `name`.
    func descriptor(named name: String) -> Int32? {
        guard let index = names.prefix(count).firstIndex(where: { $0 == name }) else { return nil }
        return ListenTarget.firstInheritedDescriptor + Int32(index)
    }
}
