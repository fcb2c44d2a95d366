import Foundation
import Shared

/// What one configuration change did to the snapshot content, as the store keeps it between
/// full snapshots: endpoints created or changed (with their registration `seq`, which orders
/// them), endpoints removed, and the proxy limits and TLS settings after the change.
struct SnapshotDelta: Codable, Sendable, Equatable {
    struct Upsert: Codable, Sendable, Equatable {
        var seq: Int
        var endpoint: SnapshotEndpoint
    }

    var upsert: [Upsert] = []
    var remove: [String] = []
    var proxy: ProxyLimits?
    var tls: TLSSettings?

    /// `content` with this change applied.
    func applied(to content: SnapshotContent) -> SnapshotContent {
        var next = content
        for name in remove { next.remove(name) }
        for entry in upsert { next.upsert(entry.endpoint, seq: entry.seq) }
        next.proxy = proxy
        next.tls = tls
        return next
    }
}
