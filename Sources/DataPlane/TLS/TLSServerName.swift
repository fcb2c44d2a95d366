/// Which certificate a TLS client's server name (SNI) gets. Pure: names in, an index out.
package enum TLSServerName {
    /// The index of the certificate to serve for `serverName` among certificates that cover
    /// `names[i]` (their DNS subject alternative names, or their common name when they have
    /// none). An exact name wins over a wildcard; among equals, the first certificate wins.
    /// Without a server name, or when none covers it: 0, the default certificate.
    package static func choose(_ serverName: String?, names: [[String]]) -> Int {
        guard let serverName, let name = normalized(serverName) else { return 0 }
        if let exact = names.firstIndex(where: { $0.contains { normalized($0) == name } }) { return exact }
        if let wildcard = names.firstIndex(where: { $0.contains { matchesWildcard($0, name) } }) { return wildcard }
        return 0
    }

    /// `name` in lower case without a trailing dot; `nil` when empty.
    static func normalized(_ name: String) -> String? {
        var text = name.lowercased()
        if text.hasSuffix(".") { text.removeLast() }
        return text.isEmpty ? nil : text
    }

    /// Whether `pattern` is `*.rest` and `name` is one label followed by `.rest` (RFC 6125 §6.4.3:
    /// the wildcard stands for exactly one whole label).
    static func matchesWildcard(_ pattern: String, _ name: String) -> Bool {
        guard let pattern = normalized(pattern), pattern.hasPrefix("*.") else { return false }
        let suffix = pattern.dropFirst(1)  // ".rest"
        guard suffix.count > 1, name.hasSuffix(suffix) else { return false }
        let label = name.dropLast(suffix.count)
        return !label.isEmpty && !label.contains(".")
    }
}
