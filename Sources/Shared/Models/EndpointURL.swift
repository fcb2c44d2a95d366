import Foundation

/// An endpoint's upstream base URL, checked and normalised: `http` or `https`, a host, no
/// credentials or fragment; scheme and host lower-cased; an empty path becomes `/`.
public struct EndpointURL: Sendable, Equatable, Hashable, CustomStringConvertible {
    public let scheme: String
    /// Host without IPv6 brackets.
    public let host: String
    public let port: Int
    /// Percent-encoded path, never empty.
    public let path: String
    /// Percent-encoded query without `?`, if any.
    public let query: String?
    /// Whether the port was written in the URL (kept in the normalised text).
    let explicitPort: Bool

    /// Parses and normalises `text`; returns the reason it is unacceptable otherwise.
    public static func parse(_ text: String) -> Result<EndpointURL, EndpointURLError> {
        guard !text.isEmpty else { return .failure(.init("must not be empty")) }
        guard text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            return .failure(.init("must not contain spaces or non-ASCII characters (percent-encode them)"))
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            return .failure(.init("must be an absolute http or https URL"))
        }
        guard scheme == "http" || scheme == "https" else {
            return .failure(.init("scheme must be http or https, not '\(scheme)'"))
        }
        guard var host = components.percentEncodedHost, !host.isEmpty else {
            return .failure(.init("must have a host"))
        }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard components.user == nil, components.password == nil else {
            return .failure(.init("must not contain credentials; send them as request headers"))
        }
        guard components.fragment == nil else {
            return .failure(.init("must not contain a fragment (#...)"))
        }
        if let port = components.port, !(1...65_535).contains(port) {
            return .failure(.init("port must be between 1 and 65535"))
        }
        let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        guard path.hasPrefix("/") else { return .failure(.init("must be an absolute http or https URL")) }
        if path.split(separator: "/").contains(where: { PathSegment.isDotSegment($0) }) {
            return .failure(.init("path must not contain '.' or '..' segments"))
        }
        return .success(
            EndpointURL(
                scheme: scheme,
                host: host.lowercased(),
                port: components.port ?? (scheme == "https" ? 443 : 80),
                path: path,
                query: components.percentEncodedQuery,
                explicitPort: components.port != nil
            ))
    }

    /// Whether TLS is used to reach the upstream.
    public var isTLS: Bool { scheme == "https" }

    /// `host` or `host:port` as sent in the `Host` header (port only when not the default).
    public var authority: String {
        let bracketed = host.contains(":") ? "[\(host)]" : host
        let defaultPort = isTLS ? 443 : 80
        return port == defaultPort ? bracketed : "\(bracketed):\(port)"
    }

    /// The normalised URL text.
    public var description: String {
        let bracketed = host.contains(":") ? "[\(host)]" : host
        var text = "\(scheme)://\(bracketed)"
        if explicitPort { text += ":\(port)" }
        text += path
        if let query { text += "?" + query }
        return text
    }

    /// The request target for a sub-path `rest` (raw, without leading `/`) and a raw client query.
    /// The base path keeps its segments; `rest` is appended after exactly one `/`; the base's own
    /// query comes first and the client's query is appended byte for byte.
    public func target(rest: Substring?, query clientQuery: Substring?) -> String {
        var target: String
        if let rest {
            target = path.hasSuffix("/") ? path : path + "/"
            target += rest
        } else {
            target = path
        }
        switch (query, clientQuery) {
        case (let base?, let client?) where !client.isEmpty:
            target += "?" + base + "&" + client
        case (let base?, _):
            target += "?" + base
        case (nil, let client?):
            target += "?" + client
        case (nil, nil):
            break
        }
        return target
    }
}

/// Why an endpoint URL is not acceptable.
public struct EndpointURLError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
