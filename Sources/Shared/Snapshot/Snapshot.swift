import Foundation

/// The complete routing state the control plane publishes to every data plane.
public struct Snapshot: Sendable, Equatable, Codable {
    /// Monotonically increasing, never reused.
    public var version: Int
    /// FNV-1a 64-bit hash of the canonical JSON of `endpoints` (with `proxy`, when set: see
    /// ``checksum(of:proxy:)``), as 16 hex digits.
    public var checksum: String
    /// When it was built, ISO 8601 UTC.
    public var createdAt: String
    /// What produced it (`startup`, `config reload`, `api: add x`, `rollback to 3`, ...).
    public var cause: String
    public var endpoints: [SnapshotEndpoint]
    /// The limits every replica applies to its client connections; `nil` means
    /// ``ProxyLimits/defaults`` (and is what snapshots from before the `proxy:` section carry).
    public var proxy: ProxyLimits?
    /// The certificates of the TLS listener (the `tls:` section); `nil` when the config has none.
    public var tls: TLSSettings?

    public init(
        version: Int, createdAt: String, cause: String, endpoints: [SnapshotEndpoint], proxy: ProxyLimits? = nil,
        tls: TLSSettings? = nil
    ) {
        self.version = version
        self.createdAt = createdAt
        self.cause = cause
        self.endpoints = endpoints
        self.proxy = proxy
        self.tls = tls
        self.checksum = Self.checksum(of: endpoints, proxy: proxy, tls: tls)
    }

    /// A snapshot whose checksum the caller computed from the same content (see
    /// ``checksum(of:proxy:tls:)``), for content too large to encode again.
    package init(
        version: Int, createdAt: String, cause: String, endpoints: [SnapshotEndpoint], proxy: ProxyLimits?,
        tls: TLSSettings?, checksum: String
    ) {
        self.version = version
        self.createdAt = createdAt
        self.cause = cause
        self.endpoints = endpoints
        self.proxy = proxy
        self.tls = tls
        self.checksum = checksum
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case version, checksum
        case createdAt = "created_at"
        // The synthesized coding omits a `nil` proxy or tls and decodes them with `decodeIfPresent`.
        case cause, endpoints, proxy, tls
    }

    /// The checksum of a snapshot's content, as stored in ``checksum``: the canonical JSON of
    /// `endpoints` alone when `proxy` and `tls` are `nil` (the checksum snapshots had before the
    /// `proxy:` section), else of the object `{"endpoints": ..., "proxy": ..., "tls": ...}`
    /// without the keys that are `nil`, so a snapshot without `tls` keeps its old checksum.
    public static func checksum(
        of endpoints: [SnapshotEndpoint], proxy: ProxyLimits? = nil, tls: TLSSettings? = nil
    ) -> String {
        guard proxy != nil || tls != nil else { return fnv1a(Self.canonicalJSON(endpoints)) }
        return fnv1a(Self.canonicalJSON(ChecksumContent(endpoints: endpoints, proxy: proxy, tls: tls)))
    }

    /// What the checksum covers once a snapshot carries limits or TLS settings.
    private struct ChecksumContent: Encodable {
        var endpoints: [SnapshotEndpoint]
        var proxy: ProxyLimits?
        var tls: TLSSettings?
    }

    /// FNV-1a 64 of `bytes` as 16 hex digits: the form of every checksum the project shows.
    public static func fnv1a(_ bytes: some Sequence<UInt8>) -> String {
        var hasher = FNV1a()
        hasher.update(bytes)
        return hasher.hex
    }

    /// FNV-1a 64 over bytes given piece by piece: the checksum of a document assembled from
    /// parts (endpoints encoded once and kept) without joining them first.
    package struct FNV1a: Sendable {
        private var hash: UInt64 = 0xcbf2_9ce4_8422_2325

        package init() {}

        package mutating func update(_ bytes: some Sequence<UInt8>) {
            var hash = self.hash
            for byte in bytes {
                hash ^= UInt64(byte)
                hash &*= 0x0000_0100_0000_01b3
            }
            self.hash = hash
        }

        package mutating func update(_ data: Data) {
            var hash = self.hash
            data.withUnsafeBytes { raw in
                for byte in raw {
                    hash ^= UInt64(byte)
                    hash &*= 0x0000_0100_0000_01b3
                }
            }
            self.hash = hash
        }

        package var hex: String {
            let hex = String(hash, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }
    }

    /// Sorted-key JSON, the same bytes on both sides of the socket.
    public static func canonicalJSON(_ value: some Encodable) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain structs of strings, numbers and arrays cannot fail.
        return (try? encoder.encode(value)) ?? Data()
    }
}

/// The health of an endpoint as seen by the control plane's prober.
public enum EndpointHealth: String, Sendable, Codable, CaseIterable {
    /// Not probed yet, or health checks disabled: traffic flows.
    case unknown
    case healthy
    case unhealthy
}

/// The operator-set status of an endpoint (`PUT /registry/endpoints/{id}/status`).
public enum AdminStatus: String, Sendable, Codable, CaseIterable {
    /// Routes normally; health checks decide.
    case active
    /// Blocked: 503 `Endpoint is inactive`.
    case inactive
    /// Blocked: 503 `Endpoint is disabled`.
    case disabled
    /// Forced unhealthy: 503 `Endpoint is unhealthy` until set back to active.
    case unhealthy
}

/// Who owns an endpoint: the config file (changed by editing it) or the admin API.
public enum EndpointOwner: String, Sendable, Codable, CaseIterable {
    case file
    case api
}

/// One endpoint as a data plane needs it: its config with its policies resolved.
public struct SnapshotEndpoint: Sendable, Equatable, Codable {
    public var config: EndpointConfig
    public var owner: EndpointOwner
    public var circuitBreaker: BreakerPolicy
    public var healthCheck: HealthCheckPolicy
    public var health: EndpointHealth
    public var status: AdminStatus

    public init(
        config: EndpointConfig,
        owner: EndpointOwner,
        circuitBreaker: BreakerPolicy,
        healthCheck: HealthCheckPolicy,
        health: EndpointHealth,
        status: AdminStatus
    ) {
        self.config = config
        self.owner = owner
        self.circuitBreaker = circuitBreaker
        self.healthCheck = healthCheck
        self.health = health
        self.status = status
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case config, owner
        case circuitBreaker = "circuit_breaker"
        case healthCheck = "health_check"
        case health, status
    }

    public var name: String { config.name }
}
