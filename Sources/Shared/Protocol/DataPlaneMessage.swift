import Foundation

/// Frames are a 4-byte big-endian length followed by one JSON message of at most this size.
public let maximumControlFrameSize = 16 * 1024 * 1024

/// A message a data plane sends to the control plane.
public enum DataPlaneMessage: Sendable, Equatable {
    /// First message on a connection.
    case hello(Hello)
    /// The snapshot `version` was validated and is now serving.
    case ack(version: Int)
    /// The snapshot `version` was rejected; the replica keeps its previous one.
    case nack(version: Int, error: String)
    /// Periodic and on-change state of the replica.
    case report(ReplicaReport)
    /// Every `--heartbeat-interval`: the snapshot the replica serves, by version and checksum.
    case heartbeat(Heartbeat)

    /// What a replica serves, said every `--heartbeat-interval` (30 s by default).
    public struct Heartbeat: Sendable, Equatable, Codable {
        /// The version of the snapshot served; `nil` before the first.
        public var version: Int?
        /// Its checksum; `nil` before the first.
        public var checksum: String?

        public init(version: Int?, checksum: String?) {
            self.version = version
            self.checksum = checksum
        }
    }

    public struct Hello: Sendable, Equatable, Codable {
        public var replicaId: String
        public var pid: Int
        /// The snapshot version the replica holds (from its cache), if any.
        public var version: Int?
        /// Whether the replica was started by the control plane's supervisor.
        public var supervised: Bool?
        /// Whether the replica serves an inherited listening socket (`LISTEN_FDS`) it can hand
        /// over with ``ControlPlaneMessage/sendListener(path:)``.
        public var inheritedListener: Bool?
        /// Whether the replica also serves an inherited TLS listening socket, which it hands over
        /// in the same message as the plaintext one. `nil` from replicas that predate TLS.
        public var inheritedTLSListener: Bool?
        /// The replica's stable slot (`ORCH_REPLICA_SLOT`: the supervisor's slot number, or a
        /// systemd instance name), used as the `replica` label of metrics. `nil`: the control plane
        /// assigns the lowest free number.
        public var slot: String?
        /// Whether the replica applies ``ControlPlaneMessage/delta(_:)`` frames on top of a
        /// ``ControlPlaneMessage/base(_:seqs:)``. `nil` from replicas that predate deltas: they get
        /// whole snapshots only.
        public var deltas: Bool?
        /// The checksum the replica computes: ``Hello/digestChecksums`` for
        /// ``Snapshot/checksum(of:proxy:tls:)``. `nil` from replicas that predate it: they check
        /// ``Snapshot/legacyChecksum(of:proxy:tls:)``, so they get whole snapshots carrying it.
        public var checksums: Int?
        /// The replica's software version (``ProductVersion/string`` of its build):
        /// a control plane refuses a replica of another major version, or of a newer minor one.
        /// `nil` from replicas that predate it.
        public var softwareVersion: String?

        /// The ``checksums`` value of replicas that check per-endpoint digest checksums.
        public static let digestChecksums = 2

        public init(
            replicaId: String, pid: Int, version: Int?, supervised: Bool? = nil, inheritedListener: Bool? = nil,
            inheritedTLSListener: Bool? = nil, slot: String? = nil, deltas: Bool? = nil,
            checksums: Int? = Hello.digestChecksums, softwareVersion: String? = ProductVersion.string
        ) {
            self.softwareVersion = softwareVersion
            self.replicaId = replicaId
            self.pid = pid
            self.version = version
            self.supervised = supervised
            self.inheritedListener = inheritedListener
            self.inheritedTLSListener = inheritedTLSListener
            self.slot = slot
            self.deltas = deltas
            self.checksums = checksums
        }

        /// Whether the replica checks the current checksum (else the legacy one).
        public var checksDigests: Bool { checksums == Self.digestChecksums }

        enum CodingKeys: String, CodingKey {
            case replicaId = "replica_id"
            case pid, version, supervised, slot, deltas, checksums
            case inheritedListener = "inherited_listener"
            case inheritedTLSListener = "inherited_tls_listener"
            case softwareVersion = "software_version"
        }
    }
}

/// What a replica reports about itself.
public struct ReplicaReport: Sendable, Equatable, Codable {
    /// Requests served since start.
    public var requests: Int?
    /// Whether the replica is draining.
    public var draining: Bool?
    /// Every breaker the replica has (sent every second, and at once after a transition).
    public var breakers: [BreakerReport]?
    /// Traffic counters since start (periodic reports only).
    public var traffic: TrafficReport?
    /// The ``HealthUpdate/seq`` of the last health update applied on top of the snapshot served
    /// (sent at once after each one).
    public var healthSeq: Int?

    public init(
        requests: Int? = nil, draining: Bool? = nil, breakers: [BreakerReport]? = nil, traffic: TrafficReport? = nil,
        healthSeq: Int? = nil
    ) {
        self.requests = requests
        self.draining = draining
        self.breakers = breakers
        self.traffic = traffic
        self.healthSeq = healthSeq
    }

    enum CodingKeys: String, CodingKey {
        case requests, draining, breakers, traffic
        case healthSeq = "health_seq"
    }
}

extension DataPlaneMessage: Codable {
    enum CodingKeys: String, CodingKey {
        case type, version, error, report, checksum
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .type) {
        case "hello": self = .hello(try Hello(from: decoder))
        case "ack": self = .ack(version: try container.decode(Int.self, forKey: .version))
        case "nack":
            self = .nack(
                version: try container.decode(Int.self, forKey: .version),
                error: try container.decode(String.self, forKey: .error))
        case "report": self = .report(try container.decode(ReplicaReport.self, forKey: .report))
        case "heartbeat":
            self = .heartbeat(
                Heartbeat(
                    version: try container.decodeIfPresent(Int.self, forKey: .version),
                    checksum: try container.decodeIfPresent(String.self, forKey: .checksum)))
        case let other:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: container, debugDescription: "unknown message type '\(other)'")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .hello(let hello):
            try container.encode("hello", forKey: .type)
            try hello.encode(to: encoder)
        case .ack(let version):
            try container.encode("ack", forKey: .type)
            try container.encode(version, forKey: .version)
        case .nack(let version, let error):
            try container.encode("nack", forKey: .type)
            try container.encode(version, forKey: .version)
            try container.encode(error, forKey: .error)
        case .report(let report):
            try container.encode("report", forKey: .type)
            try container.encode(report, forKey: .report)
        case .heartbeat(let heartbeat):
            try container.encode("heartbeat", forKey: .type)
            try container.encodeIfPresent(heartbeat.version, forKey: .version)
            try container.encodeIfPresent(heartbeat.checksum, forKey: .checksum)
        }
    }
}
