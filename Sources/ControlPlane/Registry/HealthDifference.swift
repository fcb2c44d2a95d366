import Shared

/// Where the probes' health differs from what the published snapshot carries: the endpoints a
/// health update names. Kept up to date by each change and each flip, instead of computed over
/// every endpoint for each new version.
struct HealthDifference: Sendable, Equatable {
    /// The health each endpoint of the snapshot carries, by name.
    private var carried: [String: EndpointHealth] = [:]
    /// The probes' health for the endpoints where it differs from ``carried``.
    private(set) var differing: [String: EndpointHealth] = [:]

    init() {}

    /// The difference between `snapshot` and the probes' `health`: one pass over the endpoints.
    init(snapshot: Snapshot, health: [String: EndpointHealth]) {
        carried.reserveCapacity(snapshot.endpoints.count)
        for endpoint in snapshot.endpoints {
            carried[endpoint.name] = endpoint.health
            let probed = health[endpoint.name] ?? .unknown
            if probed != endpoint.health { differing[endpoint.name] = probed }
        }
    }

    /// The snapshot is now the one `change` made of it; `health` tells the probes' health of a
    /// name. Work in proportion to the change.
    mutating func apply(_ change: SnapshotDelta, health: (String) -> EndpointHealth?) {
        for name in change.remove {
            carried[name] = nil
            differing[name] = nil
        }
        for entry in change.upsert {
            let endpoint = entry.endpoint
            carried[endpoint.name] = endpoint.health
            let probed = health(endpoint.name) ?? .unknown
            differing[endpoint.name] = probed != endpoint.health ? probed : nil
        }
    }

    /// The probes now say `health` for `name`.
    mutating func probed(_ name: String, _ health: EndpointHealth) {
        guard let snapshotHealth = carried[name] else { return }
        differing[name] = health != snapshotHealth ? health : nil
    }

    /// The health update for the snapshot `version`.
    func update(version: Int, seq: Int) -> HealthUpdate {
        HealthUpdate(version: version, seq: seq, endpoints: differing)
    }
}
