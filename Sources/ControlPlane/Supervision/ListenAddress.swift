#if canImport(Glibc)
    import Glibc
#endif

/// A TCP address to listen on, written `HOST:PORT`: an IPv4 literal (`0.0.0.0:8000`), an IPv6
/// literal in brackets (`[::1]:8000`) or `localhost` (which means `127.0.0.1`). Port 0 asks the
/// kernel for a free port.
package struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    /// The numeric host, IPv6 without brackets.
    package let host: String
    package let port: Int

    /// Whether ``host`` is an IPv6 literal.
    package var isIPv6: Bool { host.contains(":") }

    /// `HOST:PORT`, IPv6 hosts in brackets.
    package var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Parses `HOST:PORT`.
    ///
    /// - Throws: ``SupervisionError`` saying what is wrong with the text.
    package init(parsing text: String) throws(SupervisionError) {
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw .invalidAddress(text, "missing ']' after the IPv6 address")
            }
            hostPart = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            guard after.hasPrefix(":") else { throw .invalidAddress(text, "expected ':PORT' after ']'") }
            portPart = after.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw .invalidAddress(text, "expected HOST:PORT")
            }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
            if hostPart.contains(":") {
                throw .invalidAddress(text, "write IPv6 addresses in brackets, as [::1]:8000")
            }
        }
        guard !portPart.isEmpty, portPart.allSatisfy({ $0.isASCII && $0.isNumber }), portPart.count <= 5,
            let port = Int(portPart), port <= 65_535
        else {
            throw .invalidAddress(text, "port must be a number from 0 to 65535")
        }
        let host = hostPart.lowercased() == "localhost" ? "127.0.0.1" : String(hostPart)
        guard !host.isEmpty else { throw .invalidAddress(text, "missing host (use 0.0.0.0 for every interface)") }
        guard Self.isNumericHost(host) else {
            throw .invalidAddress(text, "host must be an IPv4 or IPv6 literal or localhost")
        }
        self.host = host
        self.port = port
    }

    /// An address already known to be numeric (from the kernel).
    init(numericHost host: String, port: Int) {
        self.host = host
        self.port = port
    }

    private static func isNumericHost(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }
}
