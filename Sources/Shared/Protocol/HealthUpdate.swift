/// Endpoint health that changed since a snapshot: the control plane's prober flips endpoints
/// between configuration changes, and sends the flips as this message instead of a new snapshot
/// version, so that the snapshot history holds configuration changes only.
///
/// Each update is complete for its snapshot: `endpoints` lists every endpoint whose health
/// differs from what the snapshot `version` carries, so the newest update replaces any earlier
/// one and a lost or coalesced update loses nothing.
public struct HealthUpdate: Sendable, Equatable, Codable {
    /// The snapshot version the update applies to.
    public var version: Int
    /// Increases with every update a control plane sends; a replica reports the last one it
    /// applied (``ReplicaReport/healthSeq``).
    public var seq: Int
    /// Health by endpoint name, for the endpoints whose health differs from the snapshot's.
    public var endpoints: [String: EndpointHealth]
    /// The upstream URLs the probes found unhealthy, by endpoint name, for every pool with at
    /// least one: complete, whatever the snapshot carries (snapshots hold no upstream health).
    /// Older replicas ignore it; it is left out of the JSON when empty.
    public var unhealthyUpstreams: [String: [String]]

    /// More entries than any snapshot may hold endpoints make an update invalid.
    public static let maximumEndpoints = 100_000
    /// Longer upstream URLs make an update invalid.
    public static let maximumURLBytes = 8192

    public init(
        version: Int, seq: Int, endpoints: [String: EndpointHealth], unhealthyUpstreams: [String: [String]] = [:]
    ) {
        self.version = version
        self.seq = seq
        self.endpoints = endpoints
        self.unhealthyUpstreams = unhealthyUpstreams
    }

    enum CodingKeys: String, CodingKey {
        case version, seq, endpoints
        case unhealthyUpstreams = "unhealthy_upstreams"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decode(Int.self, forKey: .version)
        seq = try container.decode(Int.self, forKey: .seq)
        endpoints = try container.decode([String: EndpointHealth].self, forKey: .endpoints)
        unhealthyUpstreams = try container.decodeIfPresent([String: [String]].self, forKey: .unhealthyUpstreams) ?? [:]
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(version, forKey: .version)
        try container.encode(seq, forKey: .seq)
        try container.encode(endpoints, forKey: .endpoints)
        if !unhealthyUpstreams.isEmpty { try container.encode(unhealthyUpstreams, forKey: .unhealthyUpstreams) }
    }

    /// What is wrong with the update's numbers or size, if anything.
    public var boundsProblem: String? {
        if version < 0 { return "version must not be negative" }
        if seq < 0 { return "seq must not be negative" }
        if endpoints.count > Self.maximumEndpoints {
            return "more than \(Self.maximumEndpoints) endpoints"
        }
        let tooLong = { (name: String) in name.utf8.count > 256 }
        if let long = endpoints.keys.first(where: tooLong) ?? unhealthyUpstreams.keys.first(where: tooLong) {
            return "endpoint name longer than 256 bytes: \(long.prefix(32))..."
        }
        if unhealthyUpstreams.count > Self.maximumEndpoints {
            return "more than \(Self.maximumEndpoints) endpoints with unhealthy upstreams"
        }
        for (name, urls) in unhealthyUpstreams {
            if urls.count > UpstreamConfig.maximumCount {
                return "more than \(UpstreamConfig.maximumCount) unhealthy upstreams for \(name)"
            }
            if urls.contains(where: { $0.utf8.count > Self.maximumURLBytes }) {
                return "an unhealthy upstream URL of \(name) is longer than \(Self.maximumURLBytes) bytes"
            }
        }
        return nil
    }

    /// `snapshot` with this update's health for the endpoints it names (others keep theirs);
    /// version and checksum stay the snapshot's.
    public func applied(to snapshot: Snapshot) -> Snapshot {
        guard !endpoints.isEmpty else { return snapshot }
        var result = snapshot
        for index in result.endpoints.indices {
            if let health = endpoints[result.endpoints[index].name] { result.endpoints[index].health = health }
        }
        return result
    }
}
