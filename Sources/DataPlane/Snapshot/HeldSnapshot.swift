import Shared

/// What a replica serves, as far as its control-plane session knows: the version (also sent in
/// `hello`) and the checksum of its content. Decides whether a snapshot from the control plane
/// is installed. The control plane is the source of truth: a snapshot is installed unless it is
/// exactly what is served, even when its version is lower (a control plane whose store was
/// reset or restored from a backup numbers its versions from there, and a replica that kept its
/// higher cached version would otherwise keep serving removed endpoints while acknowledging).
struct HeldSnapshot: Sendable, Equatable {
    var version: Int?
    /// `nil` until a snapshot is installed from the control plane (the cache gives the version only).
    var checksum: String?

    enum Decision: Equatable {
        /// The same version and content: acknowledge without installing again.
        case alreadyServing
        /// Install it; `older` when its version is below the one served.
        case install(older: Bool)
    }

    func decide(_ snapshot: Snapshot) -> Decision {
        if snapshot.version == version, snapshot.checksum == checksum { return .alreadyServing }
        return .install(older: version.map { snapshot.version < $0 } ?? false)
    }

    mutating func installed(_ snapshot: Snapshot) {
        version = snapshot.version
        checksum = snapshot.checksum
    }
}
