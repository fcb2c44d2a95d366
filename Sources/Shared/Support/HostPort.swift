#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A TCP address written `HOST:PORT`, the one form every `--…-address`, `--listen` and
/// `ORCH_*_ADDRESS` value takes: a host name (`localhost:8001`), an IPv4 literal
/// (`0.0.0.0:8000`) or an IPv6 literal in brackets (`[::1]:8000`), and a port from 0 to 65535
/// (0 asks the kernel for a free port).
public struct HostPort: Sendable, Hashable, CustomStringConvertible {
    /// The host: a name, an IPv4 literal, or an IPv6 literal without its brackets.
    public let host: String
    public let port: Int

    /// An address already known to be well formed (from the kernel, or built by code).
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`.
    ///
    /// - Parameter kind: what the address is, for the error (`listen address`).
    /// - Throws: ``HostPortError`` saying what is wrong with the text.
    public init(parsing text: String, kind: String = "address") throws(HostPortError) {
        func refuse(_ reason: String) -> HostPortError { HostPortError(kind: kind, text: text, reason: reason) }
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw refuse("missing ']' after the IPv6 address") }
            hostPart = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            guard after.hasPrefix(":") else { throw refuse("expected ':PORT' after ']'") }
            portPart = after.dropFirst()
            guard Self.isIPv6Literal(String(hostPart)) else { throw refuse(Self.hostRule) }
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw refuse("expected HOST:PORT") }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
            if hostPart.contains(":") { throw refuse("write IPv6 addresses in brackets, as [::1]:8000") }
        }
        guard !portPart.isEmpty, portPart.count <= 5, portPart.allSatisfy({ $0.isASCII && $0.isNumber }),
            let port = Int(portPart), port <= 65_535
        else { throw refuse("port must be a number from 0 to 65535") }
        guard !hostPart.isEmpty else { throw refuse("missing host (use 0.0.0.0 for every interface)") }
        guard text.hasPrefix("[") || Self.isHostName(hostPart) else { throw refuse(Self.hostRule) }
        self.host = String(hostPart)
        self.port = port
    }

    /// Whether ``host`` is an IPv6 literal.
    public var isIPv6: Bool { host.contains(":") }

    /// Whether ``host`` is an IPv4 or IPv6 literal (not a name to resolve).
    public var isNumeric: Bool { Self.isIPv4Literal(host) || Self.isIPv6Literal(host) }

    /// `HOST:PORT`, IPv6 hosts in brackets.
    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    static let hostRule = "host must be a host name or an IPv4 or IPv6 literal (IPv6 in brackets)"

    /// An IPv4 literal, or a DNS name: dot-separated labels of letters, digits and inner hyphens.
    /// Four numeric labels must make a valid IPv4 address (`300.1.1.1` is refused, not looked up).
    static func isHostName(_ host: Substring) -> Bool {
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        if labels.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) { return isIPv4Literal(String(host)) }
        return host.utf8.count <= 253
            && labels.allSatisfy { label in
                (1...63).contains(label.utf8.count) && label.first != "-" && label.last != "-"
                    && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
            }
    }

    static func isIPv4Literal(_ host: String) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, host, &address) == 1
    }

    static func isIPv6Literal(_ host: String) -> Bool {
        var address = in6_addr()
        return inet_pton(AF_INET6, host, &address) == 1
    }
}

/// An address that is not `HOST:PORT`: `invalid listen address '8000': expected HOST:PORT`.
public struct HostPortError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What the address is for (`address`, `listen address`).
    public let kind: String
    /// The text as given.
    public let text: String
    /// What is wrong with it.
    public let reason: String

    public var description: String { "invalid \(kind) '\(text)': \(reason)" }
}
