import Foundation

/// The complete routing state the control plane publishes to every data plane.
public struct Snapshot: Sendable, Equatable, Codable {
    /// Monotonically increasing, never reused.
    public var version: Int
    /// A hash of the content (endpoints, `proxy`, `tls`) as 16 hex digits: see
    /// ``checksum(of:proxy:tls:)``.
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

    /// The checksum of a snapshot's content, as stored in ``checksum`` (see ``ChecksumBuilder``):
    /// each endpoint's canonical JSON is hashed on its own, and the checksum hashes those digests
    /// in order with the `proxy` and `tls` sections, so that content kept in memory
    /// (``SnapshotContent``) gets the checksum of a change without hashing what did not change.
    public static func checksum(
        of endpoints: [SnapshotEndpoint], proxy: ProxyLimits? = nil, tls: TLSSettings? = nil
    ) -> String {
        var builder = ChecksumBuilder()
        for endpoint in endpoints { builder.add(digest: digest(of: canonicalJSON(endpoint))) }
        return builder.finish(proxy: proxy, tls: tls)
    }

    /// The checksum of the same content as snapshots had it before per-endpoint digests: FNV-1a
    /// 64 of the canonical JSON of `endpoints` alone when `proxy` and `tls` are `nil`, else of
    /// `{"endpoints": ..., "proxy": ..., "tls": ...}` without the keys that are `nil`. Stored
    /// versions, cached snapshots and replicas from before still carry it; it is checked only when
    /// the current checksum does not match, and sent to replicas that do not know the current one.
    public static func legacyChecksum(
        of endpoints: [SnapshotEndpoint], proxy: ProxyLimits? = nil, tls: TLSSettings? = nil
    ) -> String {
        guard proxy != nil || tls != nil else { return fnv1a(Self.canonicalJSON(endpoints)) }
        return fnv1a(Self.canonicalJSON(ChecksumContent(endpoints: endpoints, proxy: proxy, tls: tls)))
    }

    /// This snapshot with the legacy checksum of its content, for replicas from before the
    /// current checksum.
    public var withLegacyChecksum: Snapshot {
        var copy = self
        copy.checksum = Self.legacyChecksum(of: endpoints, proxy: proxy, tls: tls)
        return copy
    }

    /// What the legacy checksum covers once a snapshot carries limits or TLS settings.
    private struct ChecksumContent: Encodable {
        var endpoints: [SnapshotEndpoint]
        var proxy: ProxyLimits?
        var tls: TLSSettings?
    }

    /// FNV-1a 64 of one endpoint's canonical JSON: what ``ChecksumBuilder`` combines.
    public static func digest(of encoded: Data) -> UInt64 {
        var hasher = FNV1a()
        hasher.update(encoded)
        return hasher.value
    }

    /// Builds a checksum: FNV-1a 64 over a tag naming the scheme, each endpoint's digest (8
    /// bytes, little-endian) in snapshot order, then `proxy` and `tls` (each, when set, a tag and
    /// its canonical JSON). The tag keeps it apart from the legacy checksum of the same content.
    public struct ChecksumBuilder: Sendable {
        private var hasher = FNV1a()

        public init() {
            hasher.update("orch-checksum-2\n".utf8)
        }

        public mutating func add(digest: UInt64) {
            hasher.update(digest)
        }

        public mutating func add(digests: [UInt64]) {
            for digest in digests { hasher.update(digest) }
        }

        public consuming func finish(proxy: ProxyLimits?, tls: TLSSettings?) -> String {
            if let proxy {
                hasher.update("\nproxy:".utf8)
                hasher.update(Snapshot.canonicalJSON(proxy))
            }
            if let tls {
                hasher.update("\ntls:".utf8)
                hasher.update(Snapshot.canonicalJSON(tls))
            }
            return hasher.hex
        }
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

        /// The eight bytes of `value`, little-endian.
        package mutating func update(_ value: UInt64) {
            var hash = self.hash
            var value = value
            for _ in 0..<8 {
                hash ^= value & 0xff
                hash &*= 0x0000_0100_0000_01b3
                value >>= 8
            }
            self.hash = hash
        }

        package var value: UInt64 { hash }

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
///
/// A value type whose fields live in one immutable shared box: copying an endpoint (a snapshot of
/// 10,000 of them is copied whenever a change is applied to content that a published snapshot
/// still shares) costs one reference count, not one per string and array inside. Setting a field
/// makes a new box.
public struct SnapshotEndpoint: Sendable, Equatable, Codable {
    @usableFromInline
    final class Storage: Sendable {
        @usableFromInline let config: EndpointConfig
        @usableFromInline let owner: EndpointOwner
        @usableFromInline let circuitBreaker: BreakerPolicy
        @usableFromInline let healthCheck: HealthCheckPolicy
        @usableFromInline let health: EndpointHealth
        @usableFromInline let status: AdminStatus

        init(
            config: EndpointConfig, owner: EndpointOwner, circuitBreaker: BreakerPolicy,
            healthCheck: HealthCheckPolicy, health: EndpointHealth, status: AdminStatus
        ) {
            self.config = config
            self.owner = owner
            self.circuitBreaker = circuitBreaker
            self.healthCheck = healthCheck
            self.health = health
            self.status = status
        }
    }

    @usableFromInline var storage: Storage
    // The fields are read in place (`_read`), without copying a struct of strings and arrays out
    // of the box on every access: the proxy reads them per request. The accessors are inlinable:
    // called across modules, each read would be a coroutine whose frame is a heap allocation
    // (Benchmarks/check.sh counts them).

    public var config: EndpointConfig {
        @inlinable _read { yield storage.config }
        set { replace(config: newValue) }
    }
    public var owner: EndpointOwner {
        @inlinable _read { yield storage.owner }
        set { replace(owner: newValue) }
    }
    public var circuitBreaker: BreakerPolicy {
        @inlinable _read { yield storage.circuitBreaker }
        set { replace(circuitBreaker: newValue) }
    }
    public var healthCheck: HealthCheckPolicy {
        @inlinable _read { yield storage.healthCheck }
        set { replace(healthCheck: newValue) }
    }
    public var health: EndpointHealth {
        @inlinable _read { yield storage.health }
        set { replace(health: newValue) }
    }
    public var status: AdminStatus {
        @inlinable _read { yield storage.status }
        set { replace(status: newValue) }
    }

    public init(
        config: EndpointConfig,
        owner: EndpointOwner,
        circuitBreaker: BreakerPolicy,
        healthCheck: HealthCheckPolicy,
        health: EndpointHealth,
        status: AdminStatus
    ) {
        storage = Storage(
            config: config, owner: owner, circuitBreaker: circuitBreaker, healthCheck: healthCheck, health: health,
            status: status)
    }

    private mutating func replace(
        config: EndpointConfig? = nil, owner: EndpointOwner? = nil, circuitBreaker: BreakerPolicy? = nil,
        healthCheck: HealthCheckPolicy? = nil, health: EndpointHealth? = nil, status: AdminStatus? = nil
    ) {
        storage = Storage(
            config: config ?? storage.config, owner: owner ?? storage.owner,
            circuitBreaker: circuitBreaker ?? storage.circuitBreaker, healthCheck: healthCheck ?? storage.healthCheck,
            health: health ?? storage.health, status: status ?? storage.status)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case config, owner
        case circuitBreaker = "circuit_breaker"
        case healthCheck = "health_check"
        case health, status
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            config: try container.decode(EndpointConfig.self, forKey: .config),
            owner: try container.decode(EndpointOwner.self, forKey: .owner),
            circuitBreaker: try container.decode(BreakerPolicy.self, forKey: .circuitBreaker),
            healthCheck: try container.decode(HealthCheckPolicy.self, forKey: .healthCheck),
            health: try container.decode(EndpointHealth.self, forKey: .health),
            status: try container.decode(AdminStatus.self, forKey: .status))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(config, forKey: .config)
        try container.encode(owner, forKey: .owner)
        try container.encode(circuitBreaker, forKey: .circuitBreaker)
        try container.encode(healthCheck, forKey: .healthCheck)
        try container.encode(health, forKey: .health)
        try container.encode(status, forKey: .status)
    }

    public static func == (lhs: SnapshotEndpoint, rhs: SnapshotEndpoint) -> Bool {
        lhs.storage === rhs.storage || (lhs.health == rhs.health && lhs.sameConfiguration(as: rhs))
    }

    /// Whether `other` differs in nothing but health.
    public func sameConfiguration(as other: SnapshotEndpoint) -> Bool {
        storage === other.storage
            || (config == other.config && owner == other.owner && circuitBreaker == other.circuitBreaker
                && healthCheck == other.healthCheck && status == other.status)
    }

    public var name: String { config.name }
}

extension SnapshotEndpoint: CustomStringConvertible {
    /// Every field, as a struct's default description would show them.
    public var description: String {
        "SnapshotEndpoint(config: \(config), owner: \(owner), circuitBreaker: \(circuitBreaker), "
            + "healthCheck: \(healthCheck), health: \(health), status: \(status))"
    }
}
