/// `/config/status`'s `drift`: whether what replicas serve differs from the loaded config file,
/// and how (what `orchctl config reload` would change).
package struct ConfigDrift: Codable, Sendable, Equatable {
    package var drifted: Bool
    @NullEncoded package var summary: String?
    package var added: [String]
    package var changed: [ConfigChange]
    package var removed: [String]
    package var policiesChanged: Bool
    package var proxyChanged: Bool

    package init(
        drifted: Bool, summary: String? = nil, added: [String], changed: [ConfigChange], removed: [String],
        policiesChanged: Bool, proxyChanged: Bool
    ) {
        self.drifted = drifted
        self.summary = summary
        self.added = added
        self.changed = changed
        self.removed = removed
        self.policiesChanged = policiesChanged
        self.proxyChanged = proxyChanged
    }

    enum CodingKeys: String, CodingKey {
        case drifted
        case summary
        case added
        case changed
        case removed
        case policiesChanged = "policies_changed"
        case proxyChanged = "proxy_changed"
    }
}
