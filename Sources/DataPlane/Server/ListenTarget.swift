import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where the proxy listens: an address it binds itself (with `SO_REUSEPORT`, so standalone
/// replicas can share a port), or a socket inherited from its supervisor (`LISTEN_FDS`).
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

    /// An explicit address wins; otherwise an inherited socket when `LISTEN_FDS` names at
    /// least one for this process (`LISTEN_PID` unset or ours); otherwise `fallback`.
    package static func choose(
        explicit: String?, fallback: String, environment: [String: String], pid: Int32
    ) throws(ListenAddressError) -> ListenTarget {
        if let explicit { return try parse(explicit) }
        if let count = environment["LISTEN_FDS"].flatMap({ Int($0) }), count >= 1 {
            let forUs = environment["LISTEN_PID"].map { Int32($0) == pid } ?? true
            if forUs { return .inherited(descriptor: firstInheritedDescriptor) }
        }
        return try parse(fallback)
    }

    /// Parses `HOST:PORT` (`[::1]:8000` for IPv6).
    package static func parse(_ text: String) throws(ListenAddressError) -> ListenTarget {
        guard let colon = text.lastIndex(of: ":") else { throw ListenAddressError(text) }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else {
            throw ListenAddressError(text)
        }
        return .bind(host: host, port: port)
    }

    /// Removes the `LISTEN_*` variables so that processes we might start do not inherit them.
    package static func clearInheritanceEnvironment() {
        unsetenv("LISTEN_FDS")
        unsetenv("LISTEN_PID")
        unsetenv("LISTEN_FDNAMES")
    }
}

/// A listen address that is not `HOST:PORT`.
package struct ListenAddressError: Error, CustomStringConvertible {
    package let text: String
    init(_ text: String) { self.text = text }
    package var description: String { "invalid listen address '\(text)': expected HOST:PORT, e.g. 0.0.0.0:8000" }
}
