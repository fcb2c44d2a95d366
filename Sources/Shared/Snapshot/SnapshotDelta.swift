import Foundation

/// What one configuration change did to the snapshot content, as the store keeps it between
/// full snapshots: endpoints created or changed (with their registration `seq`, which orders
/// them), endpoints removed, and the proxy limits and TLS settings after the change.
package struct SnapshotDelta: Codable, Sendable, Equatable {
    package struct Upsert: Codable, Sendable, Equatable {
        package var seq: Int
        package var endpoint: SnapshotEndpoint

        package init(seq: Int, endpoint: SnapshotEndpoint) {
            self.seq = seq
            self.endpoint = endpoint
        }
    }

    package var upsert: [Upsert] = []
    package var remove: [String] = []
    package var proxy: ProxyLimits?
    package var tls: TLSSettings?

    package init(upsert: [Upsert] = [], remove: [String] = [], proxy: ProxyLimits? = nil, tls: TLSSettings? = nil) {
        self.upsert = upsert
        self.remove = remove
        self.proxy = proxy
        self.tls = tls
    }

    /// `content` with this change applied.
    package func applied(to content: SnapshotContent) -> SnapshotContent {
        var next = content
        apply(to: &next)
        return next
    }

    /// Applies this change to `content` in place.
    package func apply(to content: inout SnapshotContent) {
        for name in remove { content.remove(name) }
        for entry in upsert { content.upsert(entry.endpoint, seq: entry.seq) }
        content.proxy = proxy
        content.tls = tls
    }

    /// This change followed by `next`, as one change: applying it is applying this, then `next`
    /// (an endpoint's place follows its seq, so the order of the parts does not matter).
    package func followed(by next: SnapshotDelta) -> SnapshotDelta {
        var upserts = Dictionary(upsert.map { ($0.endpoint.name, $0) }, uniquingKeysWith: { $1 })
        var removed = Set(remove)
        for name in next.remove {
            upserts[name] = nil
            removed.insert(name)
        }
        for entry in next.upsert { upserts[entry.endpoint.name] = entry }
        return SnapshotDelta(
            upsert: upserts.values.sorted { ($0.seq, $0.endpoint.name) < ($1.seq, $1.endpoint.name) },
            remove: removed.sorted(), proxy: next.proxy, tls: next.tls)
    }
}
