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

    /// What `frame` makes of the served snapshot, or why it does not apply.
    func decide(_ frame: SnapshotDeltaFrame) -> Result<(Snapshot, SnapshotContent), DeltaRefusal> {
        guard frame.from == version, frame.fromChecksum == checksum, let content else {
            return .failure(.notOnBase(from: frame.from, serving: version))
        }
        return frame.applied(to: content)
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
