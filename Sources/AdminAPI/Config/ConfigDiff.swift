/// `POST /config/diff`: what applying an uploaded document would change.
package struct ConfigDiff: Codable, Sendable, Equatable {
    package var valid: Bool
    package var added: [String]
    package var changed: [ConfigChange]
    package var removed: [String]
    package var unchanged: [String]
    package var conflicts: [String]
    package var policiesChanged: Bool
    package var proxyChanged: Bool
    package var tlsChanged: Bool

    package init(
        valid: Bool = true, added: [String], changed: [ConfigChange], removed: [String], unchanged: [String],
        conflicts: [String], policiesChanged: Bool, proxyChanged: Bool, tlsChanged: Bool
    ) {
        self.valid = valid
        self.added = added
        self.changed = changed
        self.removed = removed
        self.unchanged = unchanged
        self.conflicts = conflicts
        self.policiesChanged = policiesChanged
        self.proxyChanged = proxyChanged
        self.tlsChanged = tlsChanged
    }

    enum CodingKeys: String, CodingKey {
        case valid
        case added
        case changed
        case removed
        case unchanged
        case conflicts
        case policiesChanged = "policies_changed"
        case proxyChanged = "proxy_changed"
        case tlsChanged = "tls_changed"
    }

    /// Whether applying the document would change nothing.
    package var isEmpty: Bool {
        added.isEmpty && changed.isEmpty && removed.isEmpty && !policiesChanged && !proxyChanged && !tlsChanged
    }
}
