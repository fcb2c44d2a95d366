import Shared

extension HealthUpdate {
    /// The update that brings `snapshot` to `health` (the control plane's current view), computed
    /// over every endpoint: every endpoint whose health there differs from the snapshot's; names not
    /// in the snapshot are left out. The definition the control plane's kept difference is held to.
    public static func between(
        _ snapshot: Snapshot, and health: [String: EndpointHealth], seq: Int
    ) -> HealthUpdate {
        var changed: [String: EndpointHealth] = [:]
        for endpoint in snapshot.endpoints {
            let current = health[endpoint.name] ?? .unknown
            if current != endpoint.health { changed[endpoint.name] = current }
        }
        return HealthUpdate(version: snapshot.version, seq: seq, endpoints: changed)
    }
}
