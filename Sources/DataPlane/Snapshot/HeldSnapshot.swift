import Shared

/// What a replica serves, as far as its control-plane session knows: the version (also sent in
/// `hello`), the checksum of its content, the snapshot itself and the health update applied on
/// top of it. Decides whether a snapshot or a health update from the control plane is installed.
///
/// The control plane is the source of truth: a snapshot is installed unless it is exactly what
/// is served, even when its version is lower (a control plane whose store was reset or restored
/// from a backup numbers its versions from there, and a replica that kept its higher cached
/// version would otherwise keep serving removed endpoints while acknowledging).
///
/// A health update applies to the snapshot of its version only. One for a version not served yet
/// is kept until that snapshot arrives (the two travel on different queues and may cross); one
/// for an older version is dropped, since every later snapshot carries the health of its time.
struct HeldSnapshot: Sendable, Equatable {
    var version: Int?
    /// `nil` until a snapshot is installed from the control plane (the cache gives the version only).
    var checksum: String?
    /// The snapshot served, without health updates; `nil` until one is known.
    var base: Snapshot?
    /// The health update served on top of ``base``.
    private(set) var health: HealthUpdate?
    /// The newest health update for a version newer than the one served.
    private(set) var pending: HealthUpdate?
    /// ``base`` with its endpoints' seqs and encodings, when it came as a base or a delta: what
    /// the next delta applies to. `nil` after a plain snapshot (deltas then wait for a base).
    private(set) var content: SnapshotContent?

    init(version: Int?, base: Snapshot? = nil) {
        self.version = version
        self.base = base
    }

    enum Decision: Equatable {
        /// The same version and content: acknowledge without installing again.
        case alreadyServing
        /// Install it; `older` when its version is below the one served.
        case install(older: Bool)
    }

    enum HealthDecision: Equatable {
        /// Serve this: the base snapshot with the update's health.
        case install(Snapshot)
        /// Nothing to install now (already served, kept for later, or outdated).
        case ignore
    }

    func decide(_ snapshot: Snapshot) -> Decision {
        if snapshot.version == version, snapshot.checksum == checksum { return .alreadyServing }
        return .install(older: version.map { snapshot.version < $0 } ?? false)
    }

    /// What to serve for `snapshot`: it, with the pending health update for its version if one came first.
    func serving(_ snapshot: Snapshot) -> Snapshot {
        guard let pending, pending.version == snapshot.version else { return snapshot }
        return pending.applied(to: snapshot)
    }

    /// What `frame` makes of the served snapshot, or why it does not apply. The content it
    /// applies to is taken (changed in place rather than copied): the result is installed with
    /// ``installed(_:content:)``, and after a checksum mismatch deltas wait for a whole snapshot.
    mutating func apply(_ frame: SnapshotDeltaFrame) -> Result<(Snapshot, SnapshotContent), DeltaRefusal> {
        guard frame.from == version, frame.fromChecksum == checksum, let content else {
            return .failure(.notOnBase(from: frame.from, serving: version))
        }
        self.content = nil
        return frame.applied(to: content)
    }

    /// What serving `snapshot` (the result of `change` on top of the served content, whose
    /// content is `content`; served as ``serving(_:)`` makes it) changes in the routes: the
    /// endpoints as served that differ from those served now, and the names removed. Besides
    /// the change, that is every endpoint whose health the served health update set (it ends
    /// with its version) or the pending one for `snapshot` sets.
    func routesChange(
        to snapshot: Snapshot, by change: SnapshotDelta, content: SnapshotContent
    ) -> RoutesChange {
        var names = Set(change.upsert.map(\.endpoint.name))
        if let health { names.formUnion(health.endpoints.keys) }
        let pending = pending.flatMap { $0.version == snapshot.version ? $0 : nil }
        if let pending { names.formUnion(pending.endpoints.keys) }
        return RoutesChange(
            upserting: Self.endpoints(names, in: content, health: pending?.endpoints ?? [:]), removing: change.remove)
    }

    /// What installing `update` (``received(_:)`` said `.install`) changes in the routes, when
    /// the served snapshot's content is known (``content`` is always ``base``'s): the endpoints
    /// whose health the served update or `update` sets, as `update` on top of the base makes them.
    func routesChange(applying update: HealthUpdate) -> RoutesChange? {
        guard let content else { return nil }
        var names = Set(update.endpoints.keys)
        if let health { names.formUnion(health.endpoints.keys) }
        return RoutesChange(upserting: Self.endpoints(names, in: content, health: update.endpoints), removing: [])
    }

    /// The endpoints named in `names` as `content` has them, with the health `overrides` name.
    private static func endpoints(
        _ names: Set<String>, in content: SnapshotContent, health overrides: [String: EndpointHealth]
    ) -> [SnapshotEndpoint] {
        names.compactMap { name -> SnapshotEndpoint? in
            guard var endpoint = content[name] else { return nil }
            if let health = overrides[name] { endpoint.health = health }
            return endpoint
        }
    }

    /// `snapshot` is now served (as ``serving(_:)`` made it); `content` is its content with seqs
    /// when known.
    mutating func installed(_ snapshot: Snapshot, content: SnapshotContent? = nil) {
        version = snapshot.version
        checksum = snapshot.checksum
        base = snapshot
        self.content = content
        if let pending, pending.version == snapshot.version {
            health = pending
        } else {
            health = nil
        }
        if let pending, pending.version <= snapshot.version { self.pending = nil }
    }

    mutating func received(_ update: HealthUpdate) -> HealthDecision {
        guard let served = version else {
            pending = update
            return .ignore
        }
        if update.version > served {
            pending = update
            return .ignore
        }
        guard update.version == served, let base else { return .ignore }
        let before = health?.endpoints ?? [:]
        health = update
        return update.endpoints == before ? .ignore : .install(update.applied(to: base))
    }
}

/// How the served routes change: the endpoints added or replaced (as served) and those removed.
package struct RoutesChange: Sendable, Equatable {
    package var upserting: [SnapshotEndpoint]
    package var removing: [String]

    package init(upserting: [SnapshotEndpoint], removing: [String]) {
        self.upserting = upserting
        self.removing = removing
    }
}
